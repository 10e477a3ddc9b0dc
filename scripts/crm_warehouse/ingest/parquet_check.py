"""Is a landed Parquet file intact? (`check_parquet`, before DuckDB reads it.)

DuckDB's read_parquet does not verify page checksums: a file with a few bytes
overwritten inside a data page loads with wrong values and no error. So every
Parquet file is first read once with pyarrow, column chunk by column chunk:

- the footer must parse (a truncated or overwritten footer is named as such);
- every page must decode, and where the writer stored a page CRC
  (`write_page_checksum=True` in pyarrow, `parquet.page.write-checksum.enabled`
  in parquet-mr) it must match: `page_checksum_verification=True`;
- each column chunk's values must agree with the row group's own statistics
  (row count, null count, and min/max for integer, floating and date columns).

What cannot be detected: damage inside a page without a CRC that still decodes
to values within the recorded min/max and null count (a changed amount that
stays in range). docs/loading.md says so.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from crm_warehouse.ingest.results import FileRejected

#: Verify Parquet files before loading them (the cost is one more decode of the
#: file; docs/loading.md gives the measured figures).
VERIFY = True

_HINT = "the file is damaged; re-export it (nothing of it was loaded)"


def _first_line(exc: BaseException) -> str:
    lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip()]
    return lines[0] if lines else type(exc).__name__


def _open(path: Path) -> pq.ParquetFile:
    try:
        return pq.ParquetFile(path, page_checksum_verification=True)
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise FileRejected(
            "damaged Parquet file: its footer (the file's metadata at its end) cannot be read"
            f" ({_first_line(exc)}); the file is truncated or not Parquet; re-export it"
        ) from exc


def _where(rg: int, groups: int, column: str) -> str:
    return f"row group {rg + 1} of {groups}, column {column}"


def _min_max_disagree(values: pa.ChunkedArray, stats: Any) -> str | None:
    """Why the chunk's values fall outside its recorded min/max (None if they do
    not, or if the column's kind is not compared: only integers, 32/64-bit
    floats and dates are)."""
    kind = values.type
    compared = (
        pa.types.is_integer(kind)
        or pa.types.is_float32(kind)
        or pa.types.is_float64(kind)
        or pa.types.is_date(kind)
    )
    if not compared or not getattr(stats, "has_min_max", False):
        return None
    low, high = stats.min, stats.max
    if not isinstance(low, (int, float, dt.date)):
        return None
    try:
        found = pc.min_max(values).as_py()
        outside = found["min"] is not None and (found["min"] < low or found["max"] > high)
    except (TypeError, pa.ArrowNotImplementedError):  # statistics of another kind
        return None
    if outside:
        return (
            f"values range from {found['min']} to {found['max']} but the file's statistics"
            f" say {low} to {high}"
        )
    return None


def _disagreement(values: pa.ChunkedArray, rows: int, stats: Any) -> str | None:
    """How a decoded column chunk contradicts its row group's metadata."""
    if len(values) != rows:
        return f"{len(values)} values decoded where the row group has {rows} rows"
    if stats is None:
        return None
    if getattr(stats, "has_null_count", False) and stats.null_count != values.null_count:
        return (
            f"{values.null_count} null values decoded where the file's statistics say"
            f" {stats.null_count}"
        )
    return _min_max_disagree(values, stats)


def _flat_leaves(meta: pq.FileMetaData) -> dict[str, int]:
    """Top-level plain columns (no list or struct) -> their column chunk index:
    only their statistics count values and nulls as the decoded array does."""
    out = {}
    for i in range(meta.num_columns):
        column = meta.schema.column(i)
        plain = column.max_repetition_level == 0 and column.max_definition_level <= 1
        if plain and "." not in column.path:
            out[column.path] = i
    return out


def check_parquet(path: Path) -> None:
    """Raise FileRejected naming the row group and column when the Parquet file
    at `path` is damaged (see the module docstring for what is checked)."""
    if not VERIFY:
        return
    pf = _open(path)
    meta = pf.metadata
    names = pf.schema_arrow.names
    leaves = _flat_leaves(meta)
    for rg in range(meta.num_row_groups):
        group = meta.row_group(rg)
        for name in names:
            where = _where(rg, meta.num_row_groups, name)
            try:
                values = pf.read_row_group(rg, columns=[name], use_threads=False).column(0)
            except (pa.ArrowException, OSError, ValueError) as exc:
                reason = _first_line(exc)
                if "crc" in reason.lower() or "checksum" in reason.lower():
                    reason = f"page checksum mismatch ({reason})"
                raise FileRejected(f"damaged Parquet file: {where}: {reason}; {_HINT}") from exc
            leaf = leaves.get(name)
            stats = group.column(leaf).statistics if leaf is not None else None
            problem = _disagreement(values, group.num_rows, stats)
            if problem:
                raise FileRejected(f"damaged Parquet file: {where}: {problem}; {_HINT}")
