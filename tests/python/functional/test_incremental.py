"""An incremental build after a new batch gives exactly the tables a full
build of the same data gives.

A small demo data set is generated; its last export batch (the one the
generator makes about 1 % of the rows) is held back. The rest is loaded and
the incremental models built (the only models that carry state from one
build to the next). The last batch lands together with a hand-made file of
the cases an incremental model gets wrong most easily (new_cases): a record
arriving late for a month long closed, a new version of a record, a deal
re-opened after it was won (it leaves the month it closed in) and a soft
delete. It is loaded and the whole project built incrementally, with a
lookback window of zero so that the incremental models really take only the
new records. Every table of every built schema (staging, intermediate and
every published mart schema) is snapshotted, then the incremental models and
everything downstream of them are rebuilt with --full-refresh, and each table
is compared row for row with its snapshot (as multisets: EXCEPT ALL both
ways).

The same on a public dataset's import (Maven CRM): its export is one batch,
so every landed file is split by row order into two loads."""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path
from typing import Any

import duckdb
import pytest
from published_imports import DATASETS, MAPPINGS

from crm_dev.bench.runner import INCREMENTAL_BATCH, stage_landing
from crm_warehouse.build import run_dbt, target_path
from crm_warehouse.generate import generate
from crm_warehouse.ingest.load import load_landing
from crm_warehouse.settings import Settings

#: Small but with every table filled and a last batch in every event table.
SCALE = 0.02
SEED = 11

#: Schemas that hold the loader's tables or this test's snapshots, not models.
NOT_BUILT = ("raw", "ops", "snapshot", "main", "reference")

#: Models and seeds only: the data tests run in their own suite (conftest's
#: refresh) and add nothing to this comparison.
BUILD = ["build", "--resource-type", "seed", "--resource-type", "model"]

#: No lookback: an incremental model takes only the rows loaded after the
#: newest it holds (the builds here run seconds apart; any lookback would
#: make the incremental run reprocess everything and prove nothing).
NO_LOOKBACK = [
    "--vars",
    json.dumps(
        {
            "incremental_lookback_minutes": 0,
            "events_lookback_hours": 0,
            "activities_lookback_hours": 0,
        }
    ),
]

#: The hand-made file landed with the last batch (a batch id of its own).
EXTRA_FILE = "opportunities__b09_2026-01-02.csv"


def _tables(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str]]:
    skipped = ", ".join(f"'{s}'" for s in NOT_BUILT)
    return [
        (schema, name)
        for schema, name in con.execute(
            "select table_schema, table_name from information_schema.tables"
            f" where table_type = 'BASE TABLE' and table_schema not in ({skipped})"
            " order by 1, 2"
        ).fetchall()
    ]


#: The manifest of each warehouse's project, parsed once with NO_LOOKBACK.
_MANIFESTS: dict[Path, Any] = {}


def _build(settings: Settings, *extra: str) -> None:
    logs = ["--log-path", str(settings.warehouse_path.parent / "logs")]
    # the same vars on every build: the project is parsed once, its manifest reused
    manifest = _MANIFESTS.get(settings.warehouse_path)
    if manifest is None:
        parsed = run_dbt(settings, ["parse", *NO_LOOKBACK, *logs])
        assert parsed.success, parsed.error
        manifest = _MANIFESTS[settings.warehouse_path] = parsed.output
    result = run_dbt(settings, [*BUILD, *NO_LOOKBACK, *logs, *extra], manifest=manifest)
    failed = [p for p in result.problems() if p.status != "warn"]
    assert result.success, (
        f"dbt build {' '.join(extra)} failed: "
        + "; ".join(f"{p.unique_id}: {(p.message or '')[:200]}" for p in failed[:5])
        + (result.error or "")
    )


def new_cases(warehouse: Path, landing: Path) -> dict[str, str]:
    """Write EXTRA_FILE into landing/opportunities from the latest versions of
    the opportunities loaded so far: a new version (amount changed) of an open
    deal, a won deal re-opened, a deal soft-deleted and a deal of an early
    month that was never exported before (late). Returns {case: opportunity_id}."""
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        columns = [
            r[0]
            for r in con.execute(
                "select column_name from information_schema.columns where table_schema = 'raw'"
                " and table_name = 'opportunities' and column_name not like '\\_%' escape '\\'"
                " order by ordinal_position"
            ).fetchall()
        ]
        latest = (
            "select * from raw.opportunities qualify row_number() over (partition by"
            " opportunity_id order by updated_at desc, _loaded_at desc, _source_file desc,"
            " _source_row desc) = 1 and not coalesce(is_deleted, false)"
        )

        def pick(where: str) -> dict[str, object]:
            cols = ", ".join(columns)
            row = con.execute(
                f"select {cols} from ({latest}) where {where} order by opportunity_id limit 1"
            ).fetchone()
            assert row is not None, f"no opportunity where {where}"
            return dict(zip(columns, row, strict=True))

        closed_months = "closed_at is not null and lower(stage_name) in ('closed won', 'won')"
        updated = pick("closed_at is null and amount > 0")
        reopened = pick(f"{closed_months} and closed_at < timestamp '2025-06-01'")
        deleted = pick(f"closed_at is null and opportunity_id != '{updated['opportunity_id']}'")
        late = pick(f"{closed_months} and closed_at < timestamp '2024-06-01'")
    finally:
        con.close()

    stamp = "2026-01-01T12:00:00"
    updated |= {"amount": float(updated["amount"]) * 2, "updated_at": stamp}  # type: ignore[arg-type]
    reopened |= {
        "stage_name": "Negotiation",
        "closed_at": None,
        "win_reason": None,
        "expected_close_date": "2026-02-15",
        "updated_at": stamp,
    }
    deleted |= {"is_deleted": True, "updated_at": stamp}
    late |= {"opportunity_id": "OPP-LATE-0001", "opportunity_name": "Late arrival"}
    rows = [updated, reopened, deleted, late]

    def text(value: object) -> str:
        if value is None:
            return ""
        if isinstance(value, bool):
            return "true" if value else "false"
        if hasattr(value, "isoformat"):
            return value.isoformat()  # type: ignore[no-any-return]
        return str(value)

    path = landing / "opportunities" / EXTRA_FILE
    with path.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(columns)
        writer.writerows([[text(r[c]) for c in columns] for r in rows])
    return {
        "updated": str(updated["opportunity_id"]),
        "reopened": str(reopened["opportunity_id"]),
        "deleted": str(deleted["opportunity_id"]),
        "late": "OPP-LATE-0001",
    }


def _snapshot(warehouse: Path) -> list[tuple[str, str]]:
    con = duckdb.connect(str(warehouse))
    try:
        tables = _tables(con)
        con.execute("create schema snapshot")
        for schema, name in tables:
            con.execute(
                f'create table snapshot."{schema}__{name}" as select * from "{schema}"."{name}"'
            )
    finally:
        con.close()
    return tables


def _differences(warehouse: Path, tables: list[tuple[str, str]]) -> list[str]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        assert _tables(con) == tables
        differences = []
        for schema, name in tables:
            full = f'"{schema}"."{name}"'
            snap = f'snapshot."{schema}__{name}"'
            counts = [
                con.execute(
                    f"select count(*) from (select * from {a} except all select * from {b})"
                ).fetchone()[0]  # type: ignore[index]
                for a, b in ((snap, full), (full, snap))
            ]
            if any(counts):
                differences.append(
                    f"{schema}.{name}: {counts[0]} rows only after the incremental build,"
                    f" {counts[1]} only after the full build"
                )
        return differences
    finally:
        con.close()


def _assert_built_incrementally(settings: Settings, models: tuple[str, ...]) -> None:
    """The last build ran `models` incrementally (else the comparison proves nothing)."""
    run_results = json.loads((target_path(settings) / "run_results.json").read_text())
    compiled = {
        r["unique_id"].split(".")[-1]: r.get("compiled_code") or "" for r in run_results["results"]
    }
    for model in models:
        assert "loaded_at >=" in compiled[model], f"{model} was not built incrementally"


def _assert_equals_full_build(settings: Settings) -> None:
    """Snapshot every built table, rebuild the incremental models and everything
    downstream of them from scratch (any other model reads the same inputs
    either way), and compare each table with its snapshot."""
    tables = _snapshot(settings.warehouse_path)
    assert len(tables) > 100, f"only {len(tables)} tables built"
    assert {("core", "fct_web_sessions"), ("data_quality", "dq_raw_rows")} <= set(tables)
    _build(settings, "--select", "config.materialized:incremental+", "--full-refresh")
    differences = _differences(settings.warehouse_path, tables)
    assert not differences, "incremental and full builds differ:\n" + "\n".join(differences)


@pytest.mark.slow
@pytest.mark.xdist_group("incremental")
def test_incremental_build_after_a_new_batch_equals_a_full_build(tmp_path: Path) -> None:
    source = tmp_path / "source"
    generate(source, scale=SCALE, seed=SEED)
    settings = Settings.under(tmp_path)
    os.environ.setdefault("CRM_SKIP_FRESHNESS", "1")

    # the warehouse as of the second-to-last export, built in full
    held_back = len(list(source.glob(f"*/*__{INCREMENTAL_BATCH}_*")))
    stage_landing(source, settings.landing_dir, include_last=False)
    load_landing(settings)
    # only the incremental models carry state from one build to the next
    _build(settings, "--select", "+config.materialized:incremental")

    # the last batch lands with the hand-made cases: load it and build incrementally
    new_files = stage_landing(source, settings.landing_dir, include_last=True)
    assert new_files == held_back > 0, f"no {INCREMENTAL_BATCH} files to land"
    cases = new_cases(settings.warehouse_path, settings.landing_dir)
    loaded = load_landing(settings)
    assert loaded.rows_loaded > 0
    _build(settings)
    _assert_built_incrementally(
        settings, ("stg_crm__opportunities", "int_raw_rows_unioned", "dq_raw_rows")
    )

    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    try:
        kept = dict(
            con.execute(
                "select opportunity_id, is_open from core.fct_opportunities"
                " where opportunity_id in (?, ?, ?, ?)",
                list(cases.values()),
            ).fetchall()
        )
    finally:
        con.close()
    # the hand-made cases reached the marts as meant
    assert cases["deleted"] not in kept
    assert kept[cases["reopened"]] is True
    assert cases["late"] in kept and cases["updated"] in kept

    _assert_equals_full_build(settings)


def split_landing(landing: Path, held: Path) -> int:
    """Split every landed CSV file by row order: the first half stays, the
    second half goes to `held` as the table's next batch. Returns the rows held."""
    count = 0
    for path in sorted(landing.glob("*/*.csv")):
        with path.open(newline="") as f:
            header, *rows = list(csv.reader(f))
        half = (len(rows) + 1) // 2
        table = path.parent.name
        for rows_out, target in (
            (rows[:half], path),
            (rows[half:], held / table / f"{table}__b02_2099-01-01.csv"),
        ):
            target.parent.mkdir(parents=True, exist_ok=True)
            with target.open("w", newline="") as f:
                writer = csv.writer(f)
                writer.writerow(header)
                writer.writerows(rows_out)
        count += len(rows) - half
    return count


@pytest.mark.slow
@pytest.mark.xdist_group("incremental_import")
def test_incremental_build_of_an_import_in_two_loads_equals_a_full_build(tmp_path: Path) -> None:
    """A public dataset's export has one batch: its landed files are split by
    row order into two loads (the second half's records are new, late for
    months long past)."""
    from crm_warehouse.imports.importer import import_export, import_settings

    name = "maven_crm_sales_opportunities"
    if not (DATASETS / name).is_dir():
        pytest.skip(f"public dataset {name} not found in {DATASETS}")
    import_export(MAPPINGS / f"{name}.yml", DATASETS / name, tmp_path)
    settings = import_settings(tmp_path)
    os.environ.setdefault("CRM_SKIP_FRESHNESS", "1")
    held = tmp_path / "held"
    assert split_landing(settings.landing_dir, held) > 1000

    load_landing(settings)
    _build(settings, "--select", "+config.materialized:incremental")
    for path in held.glob("*/*.csv"):
        target = settings.landing_dir / path.parent.name / path.name
        path.rename(target)
    assert load_landing(settings).rows_loaded > 1000
    _build(settings)
    _assert_built_incrementally(settings, ("stg_crm__opportunities", "dq_raw_rows"))
    _assert_equals_full_build(settings)
