"""The validated loader: clean files load, bad rows are quarantined with their
row, column and reason, structurally broken files are rejected whole, a re-run
is a no-op, and rows_landed = rows_loaded + rows_quarantined always."""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from unittest import mock

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import crm_warehouse.ingest.load as load_mod
from crm_warehouse.ingest.contract import LOADER_COLUMNS, load_contract
from crm_warehouse.ingest.ledger import ensure_raw_schema
from crm_warehouse.ingest.load import load_landing
from crm_warehouse.ingest.results import LoadSummary
from crm_warehouse.settings import Settings

HEADER = [
    "opportunity_id",
    "opportunity_name",
    "stage_name",
    "amount",
    "currency_code",
    "opportunity_type",
    "created_at",
    "expected_close_date",
    "updated_at",
    "is_deleted",
]


def good_row(i: int) -> list[str]:
    return [
        f"O{i}",
        f'Deal, "{i}"',
        "Prospecting",
        f"{100 + i}.50",
        "USD",
        "new_business",
        "2024-01-01T10:00:00+02:00",
        "2024-02-01",
        "2024-01-02 00:00:00",
        "false",
    ]


def csv_text(header: Sequence[str], rows: Sequence[Sequence[str | None]]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if v is None else v for v in row])
    return buf.getvalue()


def land(s: Settings, rel: str, content: str | bytes) -> Path:
    path = s.landing_dir / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    else:
        path.write_bytes(content)
    return path


def query(s: Settings, sql: str) -> list[tuple[Any, ...]]:
    con = duckdb.connect(str(s.warehouse_path), read_only=True)
    try:
        con.execute("set TimeZone = 'UTC'")
        return con.execute(sql).fetchall()
    finally:
        con.close()


def by_path(summary: LoadSummary) -> dict[str, Any]:
    return {f.path: f for f in summary.files}


@pytest.fixture
def s(tmp_path: Path) -> Settings:
    return Settings.under(tmp_path)


# --------------------------------------------------------------------------- schema


def test_empty_warehouse_has_every_raw_table(s: Settings) -> None:
    summary = load_landing(s)  # no landing folder at all
    assert summary.files == []
    contract = load_contract()
    for table in contract.tables:
        cols = query(
            s,
            "select column_name, data_type from information_schema.columns"
            f" where table_schema = 'raw' and table_name = '{table.name}' order by ordinal_position",
        )
        assert [c for c, _ in cols] == table.column_names + list(LOADER_COLUMNS), table.name
    tables = {
        r[0] for r in query(s, "select table_name from duckdb_tables() where schema_name = 'raw'")
    }
    assert {"_load_ledger", "_quarantine", "_load_audit"} <= tables


def test_ensure_raw_schema_adds_a_column_the_contract_gained(tmp_path: Path) -> None:
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    con.execute("create schema raw")
    con.execute("create table raw.teams (team_id varchar)")
    ensure_raw_schema(con)
    cols = [r[0] for r in con.execute("describe raw.teams").fetchall()]
    assert cols == load_contract().table("teams").column_names + list(LOADER_COLUMNS)


# --------------------------------------------------------------------------- clean files


def test_clean_csv_parquet_and_jsonl_load(s: Settings) -> None:
    land(
        s,
        "opportunities/opportunities__b01_2024-01-31.csv",
        csv_text(HEADER, [good_row(1), good_row(2)]),
    )
    table = pa.table(
        {
            "opportunity_id": ["P1", "P2"],
            "stage_name": ["Won", "Lost"],
            "amount": pa.array([Decimal("10.25"), None], pa.decimal128(10, 2)),
            "created_at": pa.array(
                [datetime(2024, 3, 1, 8, 30, tzinfo=UTC), datetime(2024, 3, 2, tzinfo=UTC)],
                pa.timestamp("us", tz="UTC"),
            ),
            "updated_at": ["2024-03-05T00:00:00-05:00", "2024-03-05"],
            "is_deleted": [True, False],
            "expected_close_date": pa.array([datetime(2024, 4, 1).date(), None], pa.date32()),
        }
    )
    path = s.landing_dir / "opportunities" / "opportunities__b02_2024-02-29.parquet"
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path)
    lines = [
        {"opportunity_id": "J1", "stage_name": "Won", "amount": 12.5, "created_at": "2024-05-01T00:00:00Z",
         "updated_at": "2024-05-01T12:00:00+01:00", "is_deleted": True},
        {"opportunity_id": "J2", "stage_name": "Won", "amount": None, "created_at": "2024-05-02",
         "updated_at": "2024-05-02", "opportunity_type": "renewal"},
    ]  # fmt: skip
    land(
        s,
        "opportunities/opportunities__b03_2024-03-31.jsonl",
        "".join(json.dumps(x) + "\n" for x in lines),
    )
    land(s, "_generation_report.json", "{}")  # ignored

    summary = load_landing(s)
    assert [f.status for f in summary.files] == ["loaded"] * 3
    assert summary.totals["rows_loaded"] == 6 and summary.totals["rows_quarantined"] == 0
    assert not [m for m in summary.messages if "row " in m]
    rows = query(
        s,
        "select opportunity_id, opportunity_name, amount, created_at, updated_at, expected_close_date,"
        " is_deleted, _batch_id, _source_file, _source_row, _loaded_at"
        " from raw.opportunities order by _source_file, _source_row",
    )
    r = {row[0]: row for row in rows}
    assert r["O1"][1] == 'Deal, "1"'
    assert r["O1"][2] == Decimal("101.50")
    assert r["O1"][3] == datetime(2024, 1, 1, 8, 0, tzinfo=UTC)  # +02:00 honoured
    assert r["O1"][4] == datetime(2024, 1, 2, 0, 0, tzinfo=UTC)  # no offset = UTC
    assert r["O1"][6] is False
    assert r["O2"][7:10] == (
        "b01_2024-01-31",
        "opportunities/opportunities__b01_2024-01-31.csv",
        2,
    )
    assert r["P1"][2] == Decimal("10.25") and r["P2"][2] is None
    assert r["P1"][3] == datetime(2024, 3, 1, 8, 30, tzinfo=UTC)
    assert r["P1"][4] == datetime(2024, 3, 5, 5, 0, tzinfo=UTC)
    assert r["P1"][6] is True and r["P1"][7] == "b02_2024-02-29"
    assert r["J1"][2] == Decimal("12.50") and r["J1"][4] == datetime(2024, 5, 1, 11, tzinfo=UTC)
    assert r["J2"][3] == datetime(2024, 5, 2, tzinfo=UTC)
    assert all(row[10] is not None for row in rows)
    # one _loaded_at per file
    assert query(s, "select count(distinct _loaded_at) from raw.opportunities")[0][0] == 3
    ledger = query(
        s, "select status, rows_landed, rows_loaded, rows_quarantined from raw._load_ledger"
    )
    assert sorted(ledger) == [("loaded", 2, 2, 0)] * 3


def test_header_only_file_loads_zero_rows(s: Settings) -> None:
    land(s, "opportunities/opportunities__b01_2024-01-31.csv", csv_text(HEADER, []))
    (f,) = load_landing(s).files
    assert (f.status, f.rows_landed, f.rows_loaded) == ("loaded", 0, 0)


# --------------------------------------------------------------------------- bad rows


BAD_ROWS = {
    2: (7, "2024-02-30", "expected_close_date", "value '2024-02-30' is an unparseable date"),
    3: (3, "-5.00", "amount", "value '-5.00' is below the minimum 0"),
    4: (0, "", "opportunity_id", "value is missing or blank but the column is required"),
    5: (5, "big_deal", "opportunity_type", "value 'big_deal' is not one of the accepted values"),
    6: (4, "US", "currency_code", "value 'US' does not match the pattern ^[A-Za-z]{3}$"),
    7: (9, "maybe", "is_deleted", "value 'maybe' is not a valid boolean"),
    8: (7, "31/12/2024", "expected_close_date", "value '31/12/2024' is not a valid date"),
}


def test_bad_rows_are_quarantined_with_row_column_and_reason(s: Settings) -> None:
    rows = [good_row(i) for i in range(1, 11)]
    for row_no, (col, value, _, _) in BAD_ROWS.items():
        rows[row_no - 1][col] = value
    rows[8][0] = "O1"  # row 9 repeats the key of row 1
    rel = "opportunities/opportunities__b01_2024-01-31.csv"
    land(s, rel, csv_text(HEADER, rows))

    (f,) = load_landing(s).files
    assert f.status == "loaded"
    assert (f.rows_landed, f.rows_loaded, f.rows_quarantined) == (10, 1, 9)
    assert (
        f"{rel}: row 3, column amount: value '-5.00' is below the minimum 0 (row quarantined)"
        in f.messages
    )
    for row_no, (_, _, column, reason) in BAD_ROWS.items():
        assert any(
            m.startswith(f"{rel}: row {row_no}, column {column}: {reason}") for m in f.messages
        )
    dup = "primary key value 'O1' occurs more than once in the file (row quarantined)"
    assert f"{rel}: row 1, column opportunity_id: {dup}" in f.messages
    assert f"{rel}: row 9, column opportunity_id: {dup}" in f.messages

    assert query(s, "select opportunity_id, _source_row from raw.opportunities") == [("O10", 10)]
    quarantined = query(
        s,
        "select source_row, column_name, rule, reason, raw_value, raw_record, batch_id, table_name"
        " from raw._quarantine order by source_row",
    )
    assert [q[0] for q in quarantined] == [1, 2, 3, 4, 5, 6, 7, 8, 9]
    by_row = {q[0]: q for q in quarantined}
    assert by_row[2][1:3] == ("expected_close_date", "unparseable")
    assert "unparseable date" in by_row[2][3]
    assert by_row[3][1:3] == ("amount", "min_value") and by_row[3][4] == "-5.00"
    assert by_row[4][1:3] == ("opportunity_id", "required")
    assert json.loads(by_row[3][5])["amount"] == "-5.00"
    assert json.loads(by_row[3][5])["opportunity_name"] == 'Deal, "3"'
    assert by_row[3][6:] == ("b01_2024-01-31", "opportunities")

    # the rejected file keeps the original values, the row number and the reasons
    rejected = s.quarantine_dir / "opportunities" / "opportunities__b01_2024-01-31.csv.rejected.csv"
    with rejected.open(encoding="utf-8") as fh:
        back = list(csv.DictReader(fh))
    assert [int(r["_source_row"]) for r in back] == [1, 2, 3, 4, 5, 6, 7, 8, 9]
    assert back[2]["amount"] == "-5.00" and back[2]["opportunity_name"] == 'Deal, "3"'
    assert back[2]["_reasons"] == "amount: value '-5.00' is below the minimum 0"
    assert list(back[0])[1:-1] == HEADER

    audit = dict(
        ((check, col), n)
        for check, col, n in query(
            s, "select check_name, column_name, row_count from raw._load_audit"
        )
    )
    assert audit[("rows_landed", None)] == 10 and audit[("rows_quarantined", None)] == 9
    assert audit[("min_value", "amount")] == 1 and audit[("unique", "opportunity_id")] == 2


def test_a_fixed_rejected_csv_loads_back(s: Settings) -> None:
    rows = [good_row(1), good_row(2)]
    rows[1][3] = "-1"
    land(s, "opportunities/opportunities__b01_2024-01-31.csv", csv_text(HEADER, rows))
    load_landing(s)
    rejected = s.quarantine_dir / "opportunities" / "opportunities__b01_2024-01-31.csv.rejected.csv"
    fixed = rejected.read_text(encoding="utf-8").replace(",-1,", ",1,")
    land(s, "opportunities/opportunities__b01_2024-01-31.fixed.csv", fixed)
    (f,) = [f for f in load_landing(s).files if f.status != "skipped_duplicate_file"]
    assert (f.rows_loaded, f.rows_quarantined) == (1, 0)
    assert any("_source_row, _reasons" in m and "warning" in m for m in f.messages)
    assert query(s, "select count(*) from raw.opportunities")[0][0] == 2


# --------------------------------------------------------------------------- whole files


def test_missing_required_column_rejects_the_whole_file(s: Settings) -> None:
    header = [h for h in HEADER if h != "updated_at"]
    rows = [[v for h, v in zip(HEADER, good_row(1), strict=True) if h != "updated_at"]]
    rel = "opportunities/opportunities__b01_2024-01-31.csv"
    land(s, rel, csv_text(header, rows))
    (f,) = load_landing(s).files
    assert f.status == "rejected" and (f.rows_landed, f.rows_loaded) == (0, 0)
    (message,) = f.messages
    assert message.startswith(f"{rel}: file rejected: required column 'updated_at' is missing")
    copied = s.quarantine_dir / "_rejected_files" / rel
    assert copied.read_text(encoding="utf-8") == csv_text(header, rows)
    reason = copied.with_name(copied.name + ".reason.txt").read_text(encoding="utf-8")
    assert "updated_at" in reason and f.file_hash in reason
    assert query(s, "select count(*) from raw.opportunities")[0][0] == 0
    assert query(s, "select status, message from raw._load_ledger")[0][0] == "rejected"


def test_non_utf8_file_is_rejected(s: Settings) -> None:
    text = csv_text(HEADER, [good_row(1)]).replace("Deal", "Déal")
    land(s, "opportunities/opportunities__b01_2024-01-31.csv", text.encode("latin-1"))
    (f,) = load_landing(s).files
    assert f.status == "rejected"
    assert "not UTF-8 encoded" in f.messages[0]
    assert (
        s.quarantine_dir / "_rejected_files" / "opportunities" / "opportunities__b01_2024-01-31.csv"
    ).exists()


def test_invalid_utf8_after_the_first_chunk_rolls_the_file_back(s: Settings) -> None:
    body = csv_text(HEADER, [good_row(i) for i in range(1, 2000)]).encode("utf-8")
    body += "O9999,Jos\xe9,Won,1,USD,renewal,2024-01-01,2024-01-01,2024-01-01,true\n".encode(
        "latin-1"
    )
    land(s, "opportunities/opportunities__b01_2024-01-31.csv", body)
    with mock.patch.object(load_mod, "CHUNK_ROWS", 500):
        (f,) = load_landing(s).files
    assert f.status == "rejected" and "UTF-8" in f.messages[0]
    assert query(s, "select count(*) from raw.opportunities")[0][0] == 0
    assert query(s, "select count(*) from raw._quarantine")[0][0] == 0


@pytest.mark.parametrize(
    ("rel", "content", "expected"),
    [
        ("bogus/bogus__b01_2024-01-31.csv", "a\n1\n", "unknown table folder 'bogus'"),
        ("opportunities/opportunities__b01_2024-01-31.xlsx", "x", "unknown file extension '.xlsx'"),
        ("loose.csv", "a\n1\n", "not in a table folder"),
        ("opportunities/o.csv", "", "the file is empty"),
        ("opportunities/o.csv", "O1,Won,2024-01-01,2024-01-01\n", "no header"),
        ("opportunities/o.parquet", "PAR1 not really", "damaged Parquet file: its footer"),
        ("opportunities/o.jsonl", '{"opportunity_id": "O1"\n', "no line of the file is a JSON object"),
        ("opportunities/o.csv", "opportunity_id,OPPORTUNITY_ID,stage_name\n", "more than once"),
    ],
)  # fmt: skip
def test_structurally_broken_files_are_rejected(
    s: Settings, rel: str, content: str, expected: str
) -> None:
    land(s, rel, content)
    (f,) = load_landing(s).files
    assert f.status == "rejected", f.messages
    assert f.messages[0].startswith(f"{rel}: file rejected: ")
    assert expected in f.messages[0]
    assert (s.quarantine_dir / "_rejected_files" / rel).exists()


def test_extra_column_loads_with_a_warning(s: Settings) -> None:
    rel = "opportunities/opportunities__b01_2024-01-31.csv"
    land(s, rel, csv_text([*HEADER, "crm_internal_flag"], [[*good_row(1), "x"]]))
    (f,) = load_landing(s).files
    assert f.status == "loaded" and f.rows_loaded == 1
    assert f.messages == [
        f"{rel}: warning: column(s) crm_internal_flag are not in the contract of table"
        " opportunities and were ignored"
    ]


def test_missing_optional_column_loads_as_null(s: Settings) -> None:
    header = [h for h in HEADER if h != "amount"]
    rows = [[v for h, v in zip(HEADER, good_row(1), strict=True) if h != "amount"]]
    land(s, "opportunities/opportunities__b01_2024-01-31.csv", csv_text(header, rows))
    (f,) = load_landing(s).files
    assert f.status == "loaded"
    assert query(s, "select amount from raw.opportunities") == [(None,)]


# --------------------------------------------------------------------------- re-runs


def test_rerunning_the_same_files_adds_nothing(s: Settings) -> None:
    rows = [good_row(1), good_row(2)]
    rows[1][3] = "-3"
    land(s, "opportunities/opportunities__b01_2024-01-31.csv", csv_text(HEADER, rows))
    land(s, "opportunities/opportunities__b02_2024-02-29.csv", csv_text(["x"], [["1"]]))
    first = load_landing(s)
    assert [f.status for f in first.files] == ["loaded", "rejected"]
    counts = (
        "select (select count(*) from raw.opportunities), (select count(*) from raw._quarantine),"
    )
    counts += " (select count(*) from raw._load_ledger), (select count(*) from raw._load_audit)"
    before = query(s, counts)
    second = load_landing(s)
    assert [f.status for f in second.files] == ["skipped_duplicate_file"] * 2
    assert second.totals["rows_landed"] == 0
    assert "not written since it was processed" in second.files[0].messages[0]
    assert query(s, counts) == before
    # the same content under another name is a duplicate too
    land(s, "opportunities/copy.csv", (s.landing_dir / first.files[0].path).read_bytes())
    third = by_path(load_landing(s))
    assert third["opportunities/copy.csv"].status == "skipped_duplicate_file"


def test_a_file_not_written_since_its_load_is_skipped_unread(
    s: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    loaded = land(s, "opportunities/a.csv", csv_text(HEADER, [good_row(1)]))
    rejected = land(s, "opportunities/b.csv", csv_text(["x"], [["1"]]))
    assert [f.status for f in load_landing(s).files] == ["loaded", "rejected"]

    def no_hash(path: Path) -> str:
        raise AssertionError(f"{path} was hashed")

    with monkeypatch.context() as m:
        m.setattr(load_mod, "file_sha256", no_hash)
        again = by_path(load_landing(s))
    assert [f.status for f in again.values()] == ["skipped_duplicate_file"] * 2
    skipped = again["opportunities/a.csv"].messages[0]
    assert "opportunities/a.csv: skipped: not written since it was processed (same size" in skipped
    rejection = again["opportunities/b.csv"].messages[0]
    assert "with status rejected" in rejection and "the first line must be a header" in rejection
    # same size and modification time set back, other bytes: the change time moved,
    # so the file is hashed again and its new row loads
    before = loaded.stat()
    loaded.write_text(csv_text(HEADER, [good_row(2)]), encoding="utf-8")
    assert loaded.stat().st_size == before.st_size
    os.utime(loaded, ns=(before.st_atime_ns, before.st_mtime_ns))
    third = by_path(load_landing(s))
    assert third["opportunities/a.csv"].status == "loaded"
    assert rejected.exists() and third["opportunities/b.csv"].status == "skipped_duplicate_file"
    assert query(s, "select count(*) from raw.opportunities")[0][0] == 2


def test_a_ledger_without_stamps_hashes_and_skips_as_before(s: Settings) -> None:
    land(s, "opportunities/a.csv", csv_text(HEADER, [good_row(1)]))
    load_landing(s)
    con = duckdb.connect(str(s.warehouse_path))
    con.execute("update raw._load_ledger set file_stamp = null")  # a ledger of an older version
    con.close()
    (again,) = load_landing(s).files
    assert again.status == "skipped_duplicate_file"
    assert "skipped: the same content" in again.messages[0]
    assert query(s, "select count(*) from raw._load_ledger where file_stamp is null") == [(1,)]


def test_two_copies_in_one_run_load_once(s: Settings) -> None:
    text = csv_text(HEADER, [good_row(1)])
    land(s, "opportunities/opportunities__b01_2024-01-31.csv", text)
    land(s, "opportunities/opportunities__b02_2024-02-29.csv", text)
    first, second = load_landing(s).files
    assert (first.status, second.status) == ("loaded", "skipped_duplicate_file")
    assert "opportunities__b01_2024-01-31.csv, loaded in this run" in second.messages[0]
    assert query(s, "select count(*) from raw.opportunities")[0][0] == 1


def test_batch_id_comes_from_the_file_name_else_the_hash(s: Settings) -> None:
    land(s, "opportunities/opportunities__b07_2025-12-28.csv", csv_text(HEADER, [good_row(1)]))
    land(s, "opportunities/export.csv", csv_text(HEADER, [good_row(2)]))
    files = by_path(load_landing(s))
    assert files["opportunities/opportunities__b07_2025-12-28.csv"].batch_id == "b07_2025-12-28"
    other = files["opportunities/export.csv"]
    assert other.batch_id == other.file_hash[:12]


# --------------------------------------------------------------------------- streaming


@pytest.mark.parametrize("pipeline", [True, False])
def test_chunked_file_finds_duplicate_keys_across_chunks(s: Settings, pipeline: bool) -> None:
    rows = [good_row(i) for i in range(1, 24)]
    rows[20][0] = "O2"  # row 21 repeats row 2's key, chunks apart
    rows[5][3] = "-1"  # row 6 bad amount
    rows[22][0] = "O6"  # row 23 repeats row 6 (itself quarantined already)
    land(s, "opportunities/opportunities__b01_2024-01-31.csv", csv_text(HEADER, rows))
    with (
        mock.patch.object(load_mod, "CHUNK_ROWS", 5),
        mock.patch.object(load_mod, "PIPELINE", pipeline),
    ):
        (f,) = load_landing(s).files
    assert (f.rows_landed, f.rows_loaded, f.rows_quarantined) == (23, 19, 4)
    loaded = {r[0] for r in query(s, "select _source_row from raw.opportunities")}
    assert loaded == set(range(1, 24)) - {2, 6, 21, 23}
    rules = query(s, "select source_row, rule from raw._quarantine order by source_row, rule")
    assert rules == [(2, "unique"), (6, "min_value"), (6, "unique"), (21, "unique"), (23, "unique")]


def test_a_crash_mid_file_leaves_nothing_of_it(s: Settings) -> None:
    land(
        s,
        "opportunities/opportunities__b01_2024-01-31.csv",
        csv_text(HEADER, [good_row(i) for i in range(1, 13)]),
    )
    calls = {"n": 0}
    real = load_mod._apply_chunk

    def failing(*args: Any, **kwargs: Any) -> None:
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("simulated crash")
        real(*args, **kwargs)

    with (
        mock.patch.object(load_mod, "CHUNK_ROWS", 5),
        mock.patch.object(load_mod, "_apply_chunk", failing),
        pytest.raises(RuntimeError, match="simulated crash"),
    ):
        load_landing(s)
    assert query(s, "select count(*) from raw.opportunities")[0][0] == 0
    assert query(s, "select count(*) from raw._load_ledger")[0][0] == 0
    (f,) = load_landing(s).files
    assert (f.status, f.rows_loaded) == ("loaded", 12)


# --------------------------------------------------------------------------- invariant


_CELL = {
    "opportunity_id": st.sampled_from(["O1", "O2", "O3", "", " ", None, "O,4", 'O"5']),
    "stage_name": st.sampled_from(["Won", "", None, "Closed\nWon"]),
    "amount": st.sampled_from(["1.00", "-1", "abc", "", "1e3", "99999999999999999999", " 7 "]),
    "currency_code": st.sampled_from(["USD", "US", "eur", "", "12"]),
    "opportunity_type": st.sampled_from(["renewal", "Renewal", "", "other"]),
    "created_at": st.sampled_from(["2024-01-01", "2024-02-30", "2024-01-01T10:00:00+02:00", "n/a", ""]),
    "expected_close_date": st.sampled_from(["2024-12-31", "2024-13-01", "31/12/2024", ""]),
    "updated_at": st.sampled_from(["2024-01-01 10:00", "", "2024-01-01T25:00:00"]),
    "is_deleted": st.sampled_from(["true", "No", "1", "maybe", ""]),
}  # fmt: skip

_ROWS = st.lists(st.fixed_dictionaries(_CELL), min_size=0, max_size=25)


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(
    files=st.lists(_ROWS, min_size=1, max_size=3),
    chunk=st.sampled_from([3, 7, 250_000]),
    pipeline=st.booleans(),
)
def test_landed_equals_loaded_plus_quarantined(
    files: list[list[dict]], chunk: int, pipeline: bool
) -> None:
    header = list(_CELL)
    with tempfile.TemporaryDirectory() as tmp:
        s = Settings.under(Path(tmp))
        for k, rows in enumerate(files):
            rel = f"opportunities/opportunities__b0{k}_2024-01-31.csv"
            land(s, rel, csv_text(header, [[r[h] for h in header] for r in rows]))
        with (
            mock.patch.object(load_mod, "CHUNK_ROWS", chunk),
            mock.patch.object(load_mod, "PIPELINE", pipeline),
        ):
            summary = load_landing(s)
        assert summary.rows_landed == summary.rows_loaded + summary.rows_quarantined
        for f, rows in zip(summary.files, files, strict=True):
            assert f.rows_landed == f.rows_loaded + f.rows_quarantined
            if f.status == "skipped_duplicate_file":  # same content as an earlier file
                assert f.rows_landed == 0
                continue
            assert f.status == "loaded", f.messages
            assert f.rows_landed == len(rows)
            where = f"where _source_file = '{f.path}'"
            loaded = [r[0] for r in query(s, f"select _source_row from raw.opportunities {where}")]
            quarantined = {
                r[0]
                for r in query(
                    s,
                    "select distinct source_row from raw._quarantine"
                    f" where source_file = '{f.path}'",
                )
            }
            assert len(loaded) == f.rows_loaded and len(quarantined) == f.rows_quarantined
            assert set(loaded) | quarantined == set(range(1, len(rows) + 1))
            assert not set(loaded) & quarantined
        ledger = query(s, "select sum(rows_landed), sum(rows_loaded) from raw._load_ledger")
        assert ledger[0] == (summary.rows_landed, summary.rows_loaded)
