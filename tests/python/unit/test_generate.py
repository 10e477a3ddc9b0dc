"""The demo-data generator: determinism, layout and formats, and the report's
counts recomputed independently from the files with DuckDB."""

from __future__ import annotations

import csv
import hashlib
import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crm_warehouse import generate as generate_module
from crm_warehouse.demo import config
from crm_warehouse.demo.render import decimal_text, timestamp_text
from crm_warehouse.demo.sim import organisation, registry
from crm_warehouse.demo.timeline import T0, T1
from crm_warehouse.generate import REPORT_NAME, generate
from crm_warehouse.ingest.contract import Table, load_contract
from crm_warehouse.settings import project_root

SCALE = 0.02
SEED = 11
FILE_RE = re.compile(
    r"^(?P<table>[a-z_]+)/(?P=table)__b(?P<batch>\d{2})_(?P<date>\d{4}-\d{2}-\d{2})\.(?P<ext>csv|jsonl|parquet)$"
)
ISO_DATE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
ISO_TS = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}([+-][0-9]{2}:[0-9]{2})?$"


@pytest.fixture(scope="module", params=["one piece", "two shards"])
def landing(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo at SCALE, generated in one piece and in two shards (every count
    of the report is checked on both)."""
    out = tmp_path_factory.mktemp("gen") / "landing"
    with pytest.MonkeyPatch.context() as mp:
        if request.param == "two shards":
            mp.setattr(config, "SHARD_MAX_SCALE", SCALE / 2)
        generate(out, scale=SCALE, seed=SEED)
    return out


@pytest.fixture(scope="module")
def report(landing: Path) -> dict[str, Any]:
    return json.loads((landing / REPORT_NAME).read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def db(landing: Path, report: dict[str, Any]) -> duckdb.DuckDBPyConnection:
    """Every table's rows as written, all as text, with _file (batch order) and a
    `_bad` flag computed here from the contract's rules (independent of the generator)."""
    con = duckdb.connect()
    con.execute("set timezone = 'UTC'")
    for t in load_contract().tables:
        files = sorted(f["path"] for f in report["files"] if f["table"] == t.name)
        paths = [str(landing / f) for f in files]
        fmt = config.file_format(t.name)
        cols = ", ".join(f'"{c}"' for c in t.column_names)
        if fmt == "csv":
            src = f"read_csv({paths}, all_varchar = true, header = true, filename = true)"
            select = f"select {cols}, filename from {src}"
        elif fmt == "jsonl":
            types = "{" + ", ".join(f"'{c}': 'VARCHAR'" for c in t.column_names) + "}"
            src = f"read_json({paths}, format = 'newline_delimited', columns = {types}, filename = true)"
            select = f"select {cols}, filename from {src}"
        else:
            src = f"read_parquet({paths}, filename = true)"
            casts = ", ".join(
                f'strftime("{c.name}", \'%Y-%m-%dT%H:%M:%S\') as "{c.name}"'
                if c.data_type == "timestamp"
                else f'cast("{c.name}" as varchar) as "{c.name}"'
                for c in t.columns
            )
            select = f"select {casts}, filename from {src}"
        con.execute(f'create table "{t.name}" as {select}')
        con.execute(f'alter table "{t.name}" add column _bad varchar')
        con.execute(f'update "{t.name}" set _bad = {violation_sql(t)}')
    return con


def violation_sql(t: Table) -> str:
    """SQL naming the first contract rule a row breaks ('' when none)."""
    cases = []
    for c in t.columns:
        x = f'trim("{c.name}")'
        blank = f"nullif({x}, '') is null"
        if c.name == t.primary_key or c.required:
            cases.append((blank, "missing_key" if c.name == t.primary_key else "required"))
        if c.data_type in ("timestamp", "date"):
            regex = ISO_TS if c.data_type == "timestamp" else ISO_DATE
            typ = "timestamptz" if c.data_type == "timestamp" else "date"
            bad = f"not {blank} and (not regexp_full_match({x}, '{regex}') or try_cast({x} as {typ}) is null)"
            cases.append((bad, "unparseable_date"))
        elif c.data_type != "varchar":
            typ = "decimal(18,2)" if c.data_type.startswith("decimal") else c.data_type
            cases.append((f"not {blank} and try_cast({x} as {typ}) is null", "type"))
        if c.min_value is not None:
            cases.append((f"try_cast({x} as double) < {c.min_value}", "negative_amount"))
        if c.accepted_values:
            values = ", ".join("'" + v + "'" for v in c.accepted_values)
            cases.append((f'not {blank} and "{c.name}" not in ({values})', "accepted_values"))
        if c.pattern:
            cases.append(
                (f"not {blank} and not regexp_full_match(\"{c.name}\", '{c.pattern}')", "pattern")
            )
    return "case " + " ".join(f"when {cond} then '{kind}'" for cond, kind in cases) + " else '' end"


def files_digest(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


# ------------------------------------------------------------------ determinism
def test_same_seed_gives_identical_bytes_and_other_seed_differs(tmp_path: Path) -> None:
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    generate(a, scale=0.01, seed=5)
    generate(b, scale=0.01, seed=5)
    generate(c, scale=0.01, seed=6)
    da, db_, dc = files_digest(a), files_digest(b), files_digest(c)
    assert da == db_
    assert len(da) > 22
    common = set(da) & set(dc)
    changed = [f for f in common if da[f] != dc[f]]
    assert len(changed) > 0.8 * len(common)


def test_a_large_scale_is_simulated_in_shards_with_keys_unique_across_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Above SHARD_MAX_SCALE the company is simulated one shard at a time (so
    memory stays bounded), all shards appending to the same files, and no two
    shards' records share a key."""
    monkeypatch.setattr(config, "SHARD_MAX_SCALE", 0.01)
    simulated: list[tuple[float, int, int]] = []
    real = generate_module.simulate

    def spy(seed: int, scale: float, root: Path, shard: int = 0, shards: int = 1) -> Any:
        simulated.append((scale, shard, shards))
        return real(seed, scale, root, shard=shard, shards=shards)

    monkeypatch.setattr(generate_module, "simulate", spy)
    out = tmp_path / "landing"
    report = generate(out, scale=0.03, seed=3).to_dict()
    assert simulated == [(pytest.approx(0.01), k, 3) for k in range(3)]
    assert len({f["path"] for f in report["files"]}) == len(report["files"])
    con = duckdb.connect()
    for name, pk in (("accounts", "account_id"), ("leads", "lead_id")):
        # keys unique across shards: as many distinct keys as the shards' records
        got = con.execute(
            f"select count(distinct {pk}) from read_csv('{out}/{name}/*.csv', all_varchar = true)"
        ).fetchone()[0]
        junk = sum(report["tables"][name]["malformed_rows"].values())
        assert report["tables"][name]["records"] <= got <= report["tables"][name]["records"] + junk
    teams = con.execute(
        f"select count(*) from read_csv('{out}/teams/*.csv', all_varchar = true)"
    ).fetchone()[0]
    assert teams == len(organisation.TEAMS)


def test_regenerating_replaces_own_files_and_refuses_foreign_ones(tmp_path: Path) -> None:
    out = tmp_path / "landing"
    first = generate(out, scale=0.01, seed=1)
    second = generate(out, scale=0.01, seed=2)
    on_disk = {str(p.relative_to(out)) for p in out.rglob("*") if p.is_file()}
    assert on_disk == {f["path"] for f in second.files} | {REPORT_NAME}
    assert first.files != second.files or first.tables != second.tables
    (out / "accounts" / "my_export.csv").write_text("account_id\n", encoding="utf-8")
    with pytest.raises(FileExistsError):
        generate(out, scale=0.01, seed=3)


def test_every_registered_builder_is_for_a_contract_table() -> None:
    assert registry.BUILDERS
    assert set(registry.BUILDERS) <= set(load_contract().names)


def test_a_contract_table_without_a_builder_gets_an_empty_file_and_a_warning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delitem(registry.BUILDERS, "payments")
    out = tmp_path / "landing"
    with pytest.warns(UserWarning, match="no builder for contract tables payments"):
        report = generate(out, scale=SCALE, seed=SEED)
    payments = load_contract().table("payments")
    assert [f for f in report.files if f["table"] == "payments"] == [
        {
            "path": "payments/payments__b01_2023-07-01.csv",
            "table": "payments",
            "batch": 1,
            "rows": 0,
            "format": "csv",
        }
    ]
    written = (out / "payments" / "payments__b01_2023-07-01.csv").read_text(encoding="utf-8")
    assert written.splitlines() == [",".join(payments.column_names)]
    counts = report.tables["payments"]
    assert (counts["rows_written"], counts["records"], counts["current_records"]) == (0, 0, 0)
    # the other tables are written as usual
    assert list(report.tables) == load_contract().names
    assert report.tables["invoices"]["rows_written"] > 0


# ------------------------------------------------------------------ layout and formats
def test_every_contract_table_and_column_is_written(landing: Path, report: dict[str, Any]) -> None:
    contract = load_contract()
    assert list(report["tables"]) == contract.names
    for t in contract.tables:
        files = [f for f in report["files"] if f["table"] == t.name]
        assert files, t.name
        for f in files:
            path = landing / f["path"]
            if f["format"] == "csv":
                with path.open(encoding="utf-8", newline="") as fh:
                    header = next(csv.reader(fh))
            elif f["format"] == "jsonl":
                header = list(json.loads(path.read_text(encoding="utf-8").splitlines()[0]))
            else:
                header = pq.read_schema(path).names
            assert header == t.column_names, f["path"]


def test_file_layout_formats_and_row_counts(landing: Path, report: dict[str, Any]) -> None:
    contract = load_contract()
    export_dates = {b["batch"]: b["export_date"] for b in report["batches"]}
    on_disk = {str(p.relative_to(landing)) for p in landing.rglob("*") if p.is_file()}
    assert on_disk == {f["path"] for f in report["files"]} | {REPORT_NAME}
    for f in report["files"]:
        m = FILE_RE.match(f["path"])
        assert m, f["path"]
        assert m["table"] == f["table"] and int(m["batch"]) == f["batch"]
        assert m["date"] == export_dates[f["batch"]]
        assert m["ext"] == config.file_format(f["table"]) == f["format"]
        assert f["rows"] > 0
        path = landing / f["path"]
        if f["format"] == "parquet":
            assert pq.read_metadata(path).num_rows == f["rows"]
            schema = pq.read_schema(path)
            for c in contract.table(f["table"]).columns:
                typ = str(schema.field(c.name).type)
                expected = {
                    "timestamp": "timestamp[us, tz=UTC]",
                    "date": "date32[day]",
                    "boolean": "bool",
                    "integer": "int32",
                    "varchar": "string",
                }.get(c.data_type, "decimal128(18, 2)")
                assert typ == expected, (f["path"], c.name)
        elif f["format"] == "jsonl":
            lines = path.read_text(encoding="utf-8").splitlines()
            assert len(lines) == f["rows"]
            for line in lines[:200]:
                assert all(v is None or isinstance(v, str) for v in json.loads(line).values())
        else:
            with path.open(encoding="utf-8", newline="") as fh:
                assert sum(1 for _ in csv.reader(fh)) == f["rows"] + 1
    total = sum(f["rows"] for f in report["files"])
    last = sum(f["rows"] for f in report["files"] if f["batch"] == len(config.BATCHES))
    assert 0.003 < last / total < 0.03  # the small incremental batch


def test_timestamps_are_iso_with_some_offsets(db: duckdb.DuckDBPyConnection) -> None:
    contract = load_contract()
    with_offset = total = 0
    for t in contract.tables:
        if config.file_format(t.name) == "parquet":
            continue
        for c in t.columns:
            if c.data_type != "timestamp":
                continue
            row = db.execute(
                f"""select count(*) filter (where regexp_matches("{c.name}", '[+-][0-9]{{2}}:[0-9]{{2}}$')),
                    count("{c.name}"),
                    count(*) filter (where "{c.name}" is not null and not regexp_full_match("{c.name}", '{ISO_TS}'))
                from "{t.name}" where _bad = ''"""
            ).fetchone()
            with_offset, total = with_offset + row[0], total + row[1]
            assert row[2] == 0, (t.name, c.name)
    assert 0.03 < with_offset / total < 0.07


# ------------------------------------------------------------------ the report's counts, recomputed
def test_report_totals_and_file_rows(report: dict[str, Any]) -> None:
    assert report["seed"] == SEED and report["scale"] == SCALE
    assert report["window"] == {"start": "2023-01-01", "end": "2025-12-31"}
    for name, t in report["tables"].items():
        assert t["rows_written"] == sum(f["rows"] for f in report["files"] if f["table"] == name)
        assert t["loadable_rows"] == t["rows_written"] - sum(t["malformed_rows"].values())
    assert report["totals"]["rows_written"] == sum(
        t["rows_written"] for t in report["tables"].values()
    )


def test_malformed_rows_are_exactly_the_rows_breaking_the_contract(
    db: duckdb.DuckDBPyConnection, report: dict[str, Any]
) -> None:
    some = 0
    for t in load_contract().tables:
        got = dict(
            db.execute(
                f"select _bad, count(*) from \"{t.name}\" where _bad <> '' group by 1"
            ).fetchall()
        )
        expected = {k: v for k, v in report["tables"][t.name]["malformed_rows"].items() if v}
        assert got == expected, t.name
        some += sum(expected.values())
        if config.file_format(t.name) == "parquet":
            assert not expected
        # a key is unique within a file among loadable rows
        pk = t.primary_key
        dupes = db.execute(
            f'select count(*) from (select filename, "{pk}" from "{t.name}" where _bad = \'\' group by 1, 2 having count(*) > 1)'
        ).fetchone()[0]
        assert dupes == 0, t.name
    assert some > 0


def test_exact_duplicates_superseded_records_and_deletes(
    db: duckdb.DuckDBPyConnection, report: dict[str, Any]
) -> None:
    for t in load_contract().tables:
        cols = ", ".join(f'"{c}"' for c in t.column_names)
        pk = f'"{t.primary_key}"'
        ver = f'cast("{t.version_column}" as timestamptz)' if t.version_column else "0"
        row = db.execute(
            f"""with l as (select *, {ver} as v from "{t.name}" where _bad = ''),
            d as (select *, row_number() over (partition by {cols} order by filename) as rn,
                    max(v) over (partition by {pk}) as mv from l)
            select count(*) filter (where rn > 1), count(*) filter (where rn = 1 and v < mv),
                count(distinct {pk}) from d"""
        ).fetchone()
        stats = report["tables"][t.name]
        assert (stats["exact_duplicates"], stats["superseded_versions"], stats["records"]) == row, (
            t.name
        )
        if t.soft_delete:
            deleted = db.execute(
                f"""select count(*) from (
                    select "{t.soft_delete}" as del, row_number() over (partition by {pk} order by {ver} desc) as rn
                    from "{t.name}" where _bad = '') where rn = 1 and del = 'true'"""
            ).fetchone()[0]
            assert stats["soft_deleted_records"] == deleted, t.name
    assert report["totals"]["exact_duplicates"] > 0 and report["totals"]["superseded_versions"] > 0


def _current(t: Table) -> str:
    """Latest non-deleted version of each key, as a subquery."""
    ver = f'cast("{t.version_column}" as timestamptz)' if t.version_column else "0"
    deleted = f"coalesce(\"{t.soft_delete}\", 'false') = 'true'" if t.soft_delete else "false"
    return f"""(select * from (
        select *, row_number() over (partition by "{t.primary_key}" order by {ver} desc) as _rn,
            {deleted} as _deleted from "{t.name}" where _bad = '') where _rn = 1 and not _deleted)"""


def test_duplicate_submissions_unmapped_values_and_references(
    db: duckdb.DuckDBPyConnection, report: dict[str, Any]
) -> None:
    contract = load_contract()
    leads = contract.table("leads")
    dup = db.execute(
        f"""select count(*) from (
            select epoch(cast(submitted_at as timestamptz)) - lag(epoch(cast(submitted_at as timestamptz))) over (
                partition by lower(trim(email)), form_id order by cast(submitted_at as timestamptz)) as gap
            from {_current(leads)} where nullif(trim(email), '') is not null and form_id is not null
                and submitted_at is not null) where gap <= 600"""
    ).fetchone()[0]
    assert report["tables"]["leads"]["duplicate_submissions"] == dup
    assert dup > 0
    root = project_root()
    for (table, column), (seed, seed_col) in config.SEED_MAPPED.items():
        with (root / "seeds" / seed).open(encoding="utf-8", newline="") as fh:
            known = {r[seed_col] for r in csv.DictReader(fh)}
        t = contract.table(table)
        rel = _current(t) if t.version_column else f"(select * from \"{table}\" where _bad = '')"
        rows = db.execute(
            f'select lower(trim("{column}")), count(*) from {rel} group by 1'
        ).fetchall()
        unmapped = {v: n for v, n in rows if v is not None and v not in known}
        assert report["tables"][table]["unmapped_values"][column] == unmapped, (table, column)
    assert report["tables"]["leads"]["unmapped_values"]["lead_source"]
    assert report["tables"]["opportunity_stage_history"]["unmapped_values"]["stage_name"]
    # missing references: a non-blank key that no loadable row of the referenced table has
    missing_total = 0
    for (table, column), ref in config.REFERENCES.items():
        rpk = contract.table(ref).primary_key
        n = db.execute(
            f"""select count(*) from {_current(contract.table(table))} as c
            where nullif(trim(c."{column}"), '') is not null and c."{column}" not in (
                select "{rpk}" from "{ref}" where _bad = '' and "{rpk}" is not null)"""
        ).fetchone()[0]
        assert report["tables"][table]["missing_references"][column] == n, (table, column)
        missing_total += n
    assert missing_total > 0


def test_invalid_emails_phones_and_currencies(
    db: duckdb.DuckDBPyConnection, report: dict[str, Any]
) -> None:
    contract = load_contract()
    email_re = re.compile(config.EMAIL_PATTERN)
    phone_re = re.compile(config.PHONE_PATTERN)
    for table, column in config.EMAIL_COLUMNS:
        values = [
            r[0]
            for r in db.execute(
                f'select "{column}" from {_current(contract.table(table))}'
            ).fetchall()
        ]
        bad = sum(1 for v in values if v and v.strip() and not email_re.match(v.strip()))
        assert report["tables"][table]["invalid_emails"][column] == bad, (table, column)
    for table, column in config.PHONE_COLUMNS:
        values = [
            r[0]
            for r in db.execute(
                f'select "{column}" from {_current(contract.table(table))}'
            ).fetchall()
        ]
        bad = 0
        for v in values:
            if v and v.strip():
                digits = sum(ch.isdigit() for ch in v)
                bad += not phone_re.match(v.strip()) or not 7 <= digits <= 15
        assert report["tables"][table]["invalid_phones"][column] == bad, (table, column)
    assert report["tables"]["leads"]["invalid_emails"]["email"] > 0
    opp = dict(
        db.execute(
            f"select currency_code, count(*) from {_current(contract.table('opportunities'))} group by 1"
        ).fetchall()
    )
    assert report["tables"]["opportunities"]["currencies"] == opp
    assert set(opp) == {"USD", "EUR", "GBP", "CAD", "AUD"}
    assert opp["USD"] == max(opp.values())


# ------------------------------------------------------------------ the story is coherent
def _ts(col: str) -> str:
    return f'cast("{col}" as timestamptz)'


CAUSAL = {
    "leads": [
        ("created_at", "qualified_at"),
        ("qualified_at", "converted_at"),
        ("submitted_at", "created_at"),
        ("created_at", "updated_at"),
    ],
    "opportunities": [("created_at", "closed_at"), ("created_at", "updated_at")],
    "support_cases": [
        ("opened_at", "first_response_at"),
        ("first_response_at", "resolved_at"),
        ("resolved_at", "closed_at"),
        ("opened_at", "updated_at"),
    ],
    "quotes": [("created_at", "sent_at"), ("sent_at", "accepted_at")],
    "activities": [("created_at", "scheduled_at"), ("created_at", "completed_at")],
    "campaign_members": [("added_at", "sent_at"), ("sent_at", "responded_at")],
    "accounts": [("created_at", "updated_at")],
    "contacts": [("created_at", "updated_at")],
    "orders": [("ordered_at", "updated_at")],
}


def test_timestamps_are_causally_ordered_and_in_the_window(db: duckdb.DuckDBPyConnection) -> None:
    for table, pairs in CAUSAL.items():
        for a, b in pairs:
            n = db.execute(
                f"select count(*) from \"{table}\" where _bad = '' and {_ts(a)} > {_ts(b)}"
            ).fetchone()[0]
            assert n == 0, (table, a, b)
    lo, hi = datetime.fromtimestamp(T0, UTC), datetime.fromtimestamp(T1, UTC)
    for t in load_contract().tables:
        for c in t.columns:
            if c.data_type != "timestamp":
                continue
            mn, mx = db.execute(
                f"select min({_ts(c.name)}), max({_ts(c.name)}) from \"{t.name}\" where _bad = ''"
            ).fetchone()
            if mn is not None:
                assert lo <= mn and mx < hi, (t.name, c.name, mn, mx)
    checks = {
        "orders": "cast(promised_date as date) < cast(ordered_at as timestamptz)::date",
        "contracts": "cast(end_date as date) < cast(start_date as date)",
        "invoices": "cast(due_date as date) < cast(invoice_date as date)",
        "reps": "cast(left_date as date) < cast(hired_date as date)",
        "support_cases": "satisfaction_score is not null and (resolved_at is null or cast(satisfaction_score as int) not between 1 and 5)",
    }
    for table, bad in checks.items():
        assert (
            db.execute(f"select count(*) from \"{table}\" where _bad = '' and {bad}").fetchone()[0]
            == 0
        ), table


def test_business_story_has_its_expected_shapes(db: duckdb.DuckDBPyConnection) -> None:
    contract = load_contract()
    cur = {
        name: _current(contract.table(name))
        for name in ("opportunities", "support_cases", "contracts", "invoices", "activities")
    }
    o = db.execute(
        f"""select count(*), count(*) filter (where partner_id is not null), count(*) filter (where campaign_id is not null),
            count(*) filter (where win_reason is not null), count(*) filter (where loss_reason is not null)
        from {cur["opportunities"]}"""
    ).fetchone()
    assert 0.12 < o[1] / o[0] < 0.3 and 0.2 < o[2] / o[0] < 0.45 and o[3] > 0 and o[4] > 0
    reopened = db.execute(
        """select count(*) from (select opportunity_id, count(*) filter (where lower(trim(stage_name)) in
            ('closed won', 'won', 'closed lost', 'lost')) as closes from opportunity_stage_history group by 1) where closes > 1"""
    ).fetchone()[0]
    assert reopened > 0
    # amount revisions (config.AMOUNT_RAISE_RATE / AMOUNT_CUT_RATE): versions
    # dated at no stage entry of their deal and not a delete, with an amount
    # their stage's history row does not have
    revised = db.execute(
        """select count(*) from opportunities as o
        where o._bad = '' and o.is_deleted = 'false' and not exists (
            select 1 from opportunity_stage_history as h where h.opportunity_id = o.opportunity_id
                and cast(h.entered_at as timestamptz) = cast(o.updated_at as timestamptz))
            and cast(o.amount as decimal(18, 2)) not in (
                select cast(h.amount as decimal(18, 2)) from opportunity_stage_history as h
                where h.opportunity_id = o.opportunity_id and h.amount is not null)"""
    ).fetchone()[0]
    assert revised > 0
    c = db.execute(
        f"""select count(*) filter (where case_type = 'complaint'), count(*) filter (where case_type = 'cancellation_request'),
            count(*) filter (where reopened_count = '1'), count(satisfaction_score), count(resolved_at)
        from {cur["support_cases"]}"""
    ).fetchone()
    assert c[0] > 0 and c[1] > 0 and c[2] > 0 and 0.25 < c[3] / c[4] < 0.55
    assert (
        db.execute(f"select count(renewal_of_contract_id) from {cur['contracts']}").fetchone()[0]
        > 0
    )
    assert (
        db.execute(
            f"select count(*) from {cur['invoices']} where invoice_type = 'credit_note' and cast(amount as decimal(18,2)) < 0"
        ).fetchone()[0]
        > 0
    )
    a = db.execute(
        f"""select count(*) filter (where outcome = 'abandoned' and queue_wait_seconds = '0'),
            count(*) filter (where activity_type = 'meeting' and outcome is null), count(*) filter (where outcome = 'voicemail')
        from {cur["activities"]}"""
    ).fetchone()
    assert all(x > 0 for x in a)


def test_small_scale_is_small_but_complete(report: dict[str, Any]) -> None:
    rows = report["totals"]["rows_written"]
    assert 0.5 * SCALE * 1_000_000 < rows < 1.6 * SCALE * 1_000_000
    assert all(t["records"] > 0 for t in report["tables"].values())


# ------------------------------------------------------------------ value formatting
@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.integers(min_value=T0, max_value=T1 - 1), min_size=1, max_size=50),
    st.integers(min_value=0, max_value=2**32 - 1),
)
def test_timestamp_text_keeps_the_instant(seconds: list[int], seed: int) -> None:
    """Whatever offset a value is written with, it parses back to the same UTC instant."""
    arr = np.array(seconds, dtype=np.int64)
    texts = timestamp_text(np.random.default_rng(seed), arr).to_pylist()
    for sec, txt in zip(seconds, texts, strict=True):
        parsed = datetime.fromisoformat(txt)
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        assert int(parsed.timestamp()) == sec, txt


@given(st.lists(st.integers(min_value=-(10**15), max_value=10**15), min_size=1, max_size=50))
def test_decimal_text_is_exact(cents: list[int]) -> None:
    texts = decimal_text(np.array(cents, dtype=np.int64)).to_pylist()
    for c, txt in zip(cents, texts, strict=True):
        assert re.fullmatch(r"-?[0-9]+\.[0-9]{2}", txt)
        whole, frac = txt.lstrip("-").split(".")
        assert (int(whole) * 100 + int(frac)) * (-1 if txt.startswith("-") else 1) == c
