"""Damaged Parquet files are rejected, not loaded with wrong values (issue #18
item 11): a page whose CRC does not match, a truncated footer, and values that
contradict the row group's own statistics."""

from __future__ import annotations

import datetime as dt
import struct
from decimal import Decimal
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from test_load import HEADER, good_row
from typer.testing import CliRunner

from crm_warehouse import cli
from crm_warehouse.ingest.load import load_landing
from crm_warehouse.ingest.parquet_check import check_parquet
from crm_warehouse.settings import Settings

ROWS = 200


@pytest.fixture
def s(tmp_path: Path) -> Settings:
    return Settings.under(tmp_path)


def _write(path: Path, first: int, checksum: bool) -> None:
    """ROWS good opportunities, uncompressed and without a dictionary so that
    overwritten bytes decode to other values rather than to an error."""
    rows = [good_row(first + i) for i in range(ROWS)]
    cols = {name: [r[j] for r in rows] for j, name in enumerate(HEADER)}
    cols["amount"] = [float(v) for v in cols["amount"]]
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(
        pa.table(cols),
        path,
        compression="none",
        use_dictionary=False,
        write_page_checksum=checksum,
    )


def _amount_chunk(path: Path) -> tuple[int, int]:
    meta = pq.ParquetFile(path).metadata
    chunk = meta.row_group(0).column(HEADER.index("amount"))
    return chunk.data_page_offset, chunk.total_compressed_size


def _env(s: Settings) -> dict[str, str]:
    return {
        "CRM_LANDING_DIR": str(s.landing_dir),
        "CRM_QUARANTINE_DIR": str(s.quarantine_dir),
        "CRM_DUCKDB_PATH": str(s.warehouse_path),
        "CRM_PUBLISH_DIR": str(s.publish_dir),
    }


def _loaded_rows(s: Settings) -> list[tuple[str, int]]:
    con = duckdb.connect(str(s.warehouse_path), read_only=True)
    try:
        sql = "select _source_file, count(*) from raw.opportunities group by 1 order by 1"
        return con.execute(sql).fetchall()
    finally:
        con.close()


def _load_cli(s: Settings) -> tuple[int, str]:
    result = CliRunner().invoke(cli.app, ["load"], env=_env(s))
    return result.exit_code, result.output


def test_a_parquet_page_with_64_bytes_overwritten_is_rejected(s: Settings) -> None:
    good = s.landing_dir / "opportunities" / "a_good.parquet"
    bad = s.landing_dir / "opportunities" / "b_bad.parquet"
    _write(good, 1, checksum=True)
    _write(bad, 1001, checksum=True)
    offset, size = _amount_chunk(bad)
    data = bytearray(bad.read_bytes())
    middle = offset + size // 2
    data[middle : middle + 64] = bytes(range(64))
    bad.write_bytes(bytes(data))
    # the damage decodes: without verification these rows would load with wrong amounts
    assert len(pq.read_table(bad)) == ROWS

    code, output = _load_cli(s)
    assert code == cli.EXIT_REJECTS == 3, output
    assert "1 file(s) rejected" in output
    summary = load_landing(s)  # the same bytes again: skipped as rejected, with the reason
    assert [f.status for f in sorted(summary.files, key=lambda f: f.path)] == [
        "skipped_duplicate_file",
        "skipped_duplicate_file",
    ]
    assert "opportunities/b_bad.parquet" in output
    assert "damaged Parquet file: row group 1 of 1, column amount: page checksum mismatch" in (
        " ".join(output.split())
    )
    assert _loaded_rows(s) == [("opportunities/a_good.parquet", ROWS)]
    assert (s.quarantine_dir / "_rejected_files" / "opportunities" / "b_bad.parquet").exists()


def test_rows_balance_and_nothing_loads_from_a_damaged_parquet(s: Settings) -> None:
    bad = s.landing_dir / "opportunities" / "bad.parquet"
    _write(bad, 1, checksum=True)
    offset, size = _amount_chunk(bad)
    data = bytearray(bad.read_bytes())
    data[offset + size // 2 : offset + size // 2 + 64] = b"\x00" * 64
    bad.write_bytes(bytes(data))
    (f,) = load_landing(s).files
    assert f.status == "rejected"
    assert (f.rows_landed, f.rows_loaded, f.rows_quarantined) == (0, 0, 0)
    assert "bad.parquet: file rejected: damaged Parquet file" in f.messages[0]
    assert _loaded_rows(s) == []


def test_a_truncated_parquet_footer_is_rejected_with_a_clear_reason(s: Settings) -> None:
    path = s.landing_dir / "opportunities" / "cut.parquet"
    _write(path, 1, checksum=True)
    path.write_bytes(path.read_bytes()[:-20])
    code, output = _load_cli(s)
    assert code == 3, output
    flat = " ".join(output.split())
    assert "opportunities/cut.parquet: file rejected: damaged Parquet file: its footer" in flat
    assert "truncated or not Parquet" in flat
    assert _loaded_rows(s) == []


def test_a_value_outside_the_row_group_statistics_is_rejected_without_checksums(
    s: Settings,
) -> None:
    path = s.landing_dir / "opportunities" / "nocrc.parquet"
    _write(path, 1, checksum=False)
    data = path.read_bytes()
    amount = struct.pack("<d", 150.5)  # good_row(50)'s amount, stored plain
    assert data.count(amount) == 1
    path.write_bytes(data.replace(amount, struct.pack("<d", 1e12)))
    (f,) = load_landing(s).files
    assert f.status == "rejected"
    assert (
        "damaged Parquet file: row group 1 of 1, column amount: values range from 101.5 to"
        " 1000000000000.0 but the file's statistics say 101.5 to 300.5" in f.messages[0]
    )
    assert _loaded_rows(s) == []


def test_an_intact_parquet_without_checksums_loads(s: Settings) -> None:
    _write(s.landing_dir / "opportunities" / "plain.parquet", 1, checksum=False)
    (f,) = load_landing(s).files
    assert (f.status, f.rows_landed, f.rows_loaded, f.rows_quarantined) == (
        "loaded",
        ROWS,
        ROWS,
        0,
    )


def test_intact_parquet_of_every_kind_of_column_passes_the_check(tmp_path: Path) -> None:
    """No false alarm: NaN, -0.0, nulls, float16, lists, structs, decimals, timestamps,
    a dotted name, one row per row group, an empty file."""
    table = pa.table(
        {
            "f": [float("nan"), 1.0, None, -0.0],
            "h": pa.array([1, 2, None, 4], pa.float64()).cast(pa.float16()),
            "d": [dt.date(2024, 1, 1), None, dt.date(2020, 5, 1), dt.date(2030, 1, 1)],
            "u": pa.array([1, 2, 3, 2**63], pa.uint64()),
            "ts": pa.array([dt.datetime(2024, 1, 1)] * 4, pa.timestamp("us", tz="UTC")),
            "dec": pa.array([Decimal("1.5")] * 4, pa.decimal128(10, 2)),
            "s": ["a", "b", None, "z" * 300],
            "l": [[1], [2, 3], None, []],
            "st": [{"x": 1}, None, {"x": None}, {"x": 4}],
            "a.b": [1, 2, None, 4],
        }
    )
    path = tmp_path / "kinds.parquet"
    for options in ({"write_page_checksum": True}, {"row_group_size": 1}, {}):
        pq.write_table(table, path, **options)
        check_parquet(path)
    pq.write_table(table.slice(0, 0), path)
    check_parquet(path)
