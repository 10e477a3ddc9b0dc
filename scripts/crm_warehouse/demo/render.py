"""From record models to files: export batches, versions, exact copies,
malformed junk rows, text formatting and writing.

A record's rows: every export batch whose window holds at least one of the
record's change instants writes the record once, as of its last change in that
window (updated_at = that instant). Then EXACT_COPY_RATE of rows are written a
second time, identical, into a later batch file where the key has no other row
(a key is unique within a file), and CSV / JSON lines tables get malformed junk
rows (fresh or blank keys, so they are never the only version of a record).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from crm_warehouse.demo import config, shard
from crm_warehouse.demo.sim.records import TableModel
from crm_warehouse.demo.sink import Sink
from crm_warehouse.demo.text import concat, pick, where
from crm_warehouse.demo.timeline import BATCH_EDGES, NA, T0, T1, batch_of
from crm_warehouse.ingest.contract import Column, Table

NB = len(config.BATCHES)
MALFORMED_KINDS = ("unparseable_date", "negative_amount", "missing_key")
#: Values a loader cannot read as a date or timestamp.
BAD_DATES = ("31/12/2024 10:00", "n/a", "30.12.2024", "Dec 5 2024", "yesterday", "2024/02/30")


@dataclass
class Rendered:
    """One table's rows as written, with the hidden columns the report needs."""

    table: Table
    data: (
        pa.Table
    )  # contract columns (as written) + _batch, _pos, _malformed, _ver, _del (+ _submitted)
    files: list[dict[str, Any]]


def batch_name(b: int) -> str:
    """Export date of batch b (0-based): the day after the last day it covers."""
    return str(config.BATCHES[b][1])


def versions(tm: TableModel) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(record, batch, as-of instant) of every row to write, in record order."""
    cols = [*tm.changes] + ([tm.deleted_at] if tm.deleted_at is not None else [])
    recs, ts = [], []
    for c in cols:
        ok = c != NA
        recs.append(np.flatnonzero(ok))
        ts.append(c[ok])
    rec = np.concatenate(recs).astype(np.int64)
    t = np.concatenate(ts).astype(np.int64)
    if len(t) and ((t < T0).any() or (t >= T1).any()):
        raise AssertionError(f"{tm.name}: a change instant lies outside the window")
    b = batch_of(t)
    key = rec * NB + b
    order = np.lexsort((t, key))
    key_s, t_s = key[order], t[order]
    last = np.ones(len(key_s), dtype=bool)
    last[:-1] = key_s[1:] != key_s[:-1]
    vk, vt = key_s[last], t_s[last]
    vrec = vk // NB
    if len(np.unique(vrec)) != tm.n:
        raise AssertionError(
            f"{tm.name}: {tm.n - len(np.unique(vrec))} records have no change in the window"
        )
    return vrec, vk % NB, vt


# ------------------------------------------------------------------ value formatting
def _mask(values: np.ndarray) -> np.ndarray:
    return np.asarray(values) == NA


def timestamp_text(rng: np.random.Generator, sec: np.ndarray) -> pa.Array:
    """ISO-8601 text; TIMESTAMP_OFFSET_RATE of values with an explicit offset
    (the same instant written in local time, e.g. 12:00:00+02:00 = 10:00 UTC)."""
    n = len(sec)
    null = _mask(sec)
    offsets = np.array(config.TIMESTAMP_OFFSETS_MINUTES, dtype=np.int64)
    has = rng.random(n) < config.TIMESTAMP_OFFSET_RATE
    which = rng.integers(0, len(offsets), n)
    local = np.where(null, 0, sec + np.where(has, offsets[which] * 60, 0))
    s = pc.strftime(pa.array(local, pa.timestamp("s")), format="%Y-%m-%dT%H:%M:%S")
    suffixes = [f"{'+' if m >= 0 else '-'}{abs(m) // 60:02d}:{abs(m) % 60:02d}" for m in offsets]
    s = where(has, concat(s, pick(suffixes, which)), s)
    return where(null, pa.nulls(n, pa.string()), s)


def decimal_text(cents: np.ndarray) -> pa.Array:
    c = np.asarray(cents, dtype=np.int64)
    null = _mask(c)
    c = np.where(null, 0, c)
    a = np.abs(c)
    s = concat(
        pa.array(np.where(c < 0, "-", "")),
        pc.cast(pa.array(a // 100), pa.string()),
        ".",
        pc.utf8_lpad(pc.cast(pa.array(a % 100), pa.string()), 2, "0"),
    )
    return where(null, pa.nulls(len(c), pa.string()), s)


def to_text(rng: np.random.Generator, col: Column, v: Any) -> pa.Array:
    """A column's values as written in CSV / JSON lines."""
    t = col.data_type
    if t == "varchar":
        return v if isinstance(v, pa.Array) else pa.array(v, pa.string())
    if t == "timestamp":
        return timestamp_text(rng, v)
    if t == "date":
        v = np.asarray(v, dtype=np.int64)
        return pc.cast(
            pa.array(np.where(_mask(v), 0, v).astype(np.int32), pa.date32(), mask=_mask(v)),
            pa.string(),
        )
    if t.startswith("decimal"):
        return decimal_text(v)
    if t in ("integer", "bigint"):
        v = np.asarray(v, dtype=np.int64)
        return pc.cast(pa.array(v, mask=_mask(v)), pa.string())
    if t == "boolean":
        if isinstance(v, pa.Array):  # a column the generator leaves empty
            return pc.cast(v, pa.string())
        return pa.array(np.where(np.asarray(v, dtype=bool), "true", "false"))
    raise ValueError(f"unknown contract type {t!r} of column {col.name}")


def to_typed(col: Column, v: Any) -> pa.Array:
    """A column's values as typed Parquet data (timestamps in UTC)."""
    t = col.data_type
    if t == "varchar":
        return v if isinstance(v, pa.Array) else pa.array(v, pa.string())
    if t == "boolean" and isinstance(v, pa.Array):  # a column the generator leaves empty
        return pc.cast(v, pa.bool_())
    v = np.asarray(v)
    if t == "timestamp":
        return pa.array(
            np.where(_mask(v), 0, v) * 1_000_000, pa.timestamp("us", tz="UTC"), mask=_mask(v)
        )
    if t == "date":
        return pa.array(np.where(_mask(v), 0, v).astype(np.int32), pa.date32(), mask=_mask(v))
    if t.startswith("decimal"):
        p, s = (int(x) for x in t[t.index("(") + 1 : -1].split(","))
        return pc.cast(decimal_text(v), pa.decimal128(p, s))
    if t == "integer":
        return pa.array(np.where(_mask(v), 0, v).astype(np.int32), pa.int32(), mask=_mask(v))
    if t == "bigint":
        return pa.array(v, pa.int64(), mask=_mask(v))
    if t == "boolean":
        return pa.array(v.astype(bool), pa.bool_())
    raise ValueError(f"unknown contract type {t!r} of column {col.name}")


def _null_values(col: Column, n: int) -> Any:
    if col.data_type == "varchar":
        return pa.nulls(n, pa.string())
    if col.data_type == "boolean":
        # unknown, not false: e.g. support_cases.sla_met, which only some exports carry
        return pa.nulls(n, pa.bool_())
    return np.full(n, NA, dtype=np.int64)


# ------------------------------------------------------------------ one table
def render(
    tm: TableModel,
    table: Table,
    rng: np.random.Generator,
    out_dir: Path,
    sink: Sink,
) -> Rendered:
    """Write one table's files: its records' versions, exact copies and junk rows."""
    fmt = config.file_format(table.name)
    rec, batch, asof = versions(tm)
    n = len(rec)
    values, deleted = _values(tm, table, rec, asof)
    # base rows, formatted
    if fmt == "parquet":
        arrays = [to_typed(c, values[c.name]) for c in table.columns]
    else:
        arrays = [to_text(rng, c, values[c.name]) for c in table.columns]
    base = pa.table(arrays, names=table.column_names)
    ver = asof if table.version_column else np.zeros(n, dtype=np.int64)
    submitted = values.get("submitted_at") if table.name == "leads" else None
    copies, copy_batch = _exact_copies(rng, rec, batch)
    # malformed junk rows (CSV / JSON lines only)
    junk_tbl, junk_src, junk_kind = _junk(rng, table, fmt, base, n)

    idx = np.concatenate([np.arange(n), copies])
    data = base.take(pa.array(idx))
    all_batch = np.concatenate([batch, copy_batch])
    all_sort = np.concatenate([asof, asof[copies]])
    all_tie = np.concatenate([rec * 4, rec[copies] * 4 + 1])
    all_ver = np.concatenate([ver, ver[copies]])
    all_del = np.concatenate([deleted, deleted[copies]])
    all_kind = [""] * len(idx)
    all_sub = np.concatenate([submitted, submitted[copies]]) if submitted is not None else None
    if junk_tbl is not None:
        data = pa.concat_tables([data, junk_tbl])
        all_batch = np.concatenate([all_batch, batch[junk_src]])
        all_sort = np.concatenate([all_sort, asof[junk_src]])
        all_tie = np.concatenate([all_tie, rec[junk_src] * 4 + 2])
        all_ver = np.concatenate([all_ver, ver[junk_src]])
        all_del = np.concatenate([all_del, deleted[junk_src]])
        all_kind += list(junk_kind)
        if all_sub is not None:
            all_sub = np.concatenate([all_sub, submitted[junk_src]])
    order = np.lexsort((all_tie, all_sort, all_batch))
    data = data.take(pa.array(order))
    all_batch = all_batch[order]
    pos, files = _write_batches(sink, data, all_batch, table, fmt, out_dir)
    hidden = {
        "_batch": pa.array(all_batch.astype(np.int32)),
        "_pos": pa.array(pos),
        "_malformed": pa.array([all_kind[i] for i in order], pa.string()),
        "_ver": pa.array(all_ver[order]),
        "_del": pa.array(all_del[order]),
    }
    if all_sub is not None:
        s = all_sub[order]
        hidden["_submitted"] = pa.array(np.where(_mask(s), 0, s), mask=_mask(s))
    for k, v in hidden.items():
        data = data.append_column(k, v)
    return Rendered(table=table, data=data, files=files)


def render_empty(table: Table, rng: np.random.Generator, out_dir: Path, sink: Sink) -> Rendered:
    """Write one empty file of a table (header only, the contract's columns) into
    the first export batch: the file of a table the demo has no builder for."""
    fmt = config.file_format(table.name)
    values = {c.name: _null_values(c, 0) for c in table.columns}
    if fmt == "parquet":
        arrays = [to_typed(c, values[c.name]) for c in table.columns]
    else:
        arrays = [to_text(rng, c, values[c.name]) for c in table.columns]
    data = pa.table(arrays, names=table.column_names)
    files = [_write_file(sink, data, table, 0, fmt, out_dir)]
    hidden = {
        "_batch": pa.array([], pa.int32()),
        "_pos": pa.array([], pa.int64()),
        "_malformed": pa.array([], pa.string()),
        "_ver": pa.array([], pa.int64()),
        "_del": pa.array([], pa.bool_()),
    }
    for k, v in hidden.items():
        data = data.append_column(k, v)
    return Rendered(table=table, data=data, files=files)


def _values(
    tm: TableModel, table: Table, rec: np.ndarray, asof: np.ndarray
) -> tuple[dict[str, Any], np.ndarray]:
    """Every contract column's values of the rows (record, as-of instant), with
    the version and soft-delete columns; and which rows are soft deletes."""
    n = len(rec)
    values = tm.build(rec, asof)
    unknown = set(values) - set(table.column_names)
    if unknown:
        raise KeyError(
            f"{table.name}: the generator fills columns the contract lacks: {sorted(unknown)}"
        )
    deleted = np.zeros(n, dtype=bool)
    if tm.deleted_at is not None:
        d = tm.deleted_at[rec]
        deleted = (d != NA) & (d <= asof)
    if table.version_column:
        values[table.version_column] = asof
    if table.soft_delete:
        values[table.soft_delete] = deleted
    for col in table.columns:
        if col.name not in values:
            if col.required:
                raise KeyError(
                    f"{table.name}: the generator has no value for required column {col.name}"
                )
            values[col.name] = _null_values(col, n)
    return values, deleted


def _exact_copies(
    rng: np.random.Generator, rec: np.ndarray, batch: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Rows written a second time, identical, into a later batch file where the
    key has no other row: (row index, batch of the copy)."""
    n = len(rec)
    pick_ = np.flatnonzero((batch < NB - 1) & (rng.random(n) < config.EXACT_COPY_RATE))
    existing = rec * NB + batch
    target = batch[pick_] + 1
    for _ in range(2):
        clash = np.isin(rec[pick_] * NB + target, existing)
        target = np.where(clash, target + 1, target)
        target = np.where(target >= NB, -1, target)
    ok = target >= 0
    ok &= ~np.isin(rec[pick_] * NB + np.maximum(target, 0), existing)
    copies, copy_batch = pick_[ok], target[ok]
    _, first = np.unique(rec[copies] * NB + copy_batch, return_index=True)
    keep = np.sort(first)
    return copies[keep], copy_batch[keep]


def _write_batches(
    sink: Sink,
    data: pa.Table,
    batch: np.ndarray,
    table: Table,
    fmt: str,
    out_dir: Path,
) -> tuple[np.ndarray, list[dict[str, Any]]]:
    """One file per batch holding rows (`data` sorted by `batch`); returns each
    row's position in its file and the files written."""
    pos = np.zeros(len(batch), dtype=np.int64)
    files: list[dict[str, Any]] = []
    (out_dir / table.name).mkdir(parents=True, exist_ok=True)
    starts = np.searchsorted(batch, np.arange(NB + 1))
    for b in range(NB):
        lo, hi = int(starts[b]), int(starts[b + 1])
        if hi == lo:
            continue
        pos[lo:hi] = np.arange(hi - lo)
        files.append(_write_file(sink, data.slice(lo, hi - lo), table, b, fmt, out_dir))
    return pos, files


def _write_file(
    sink: Sink, data: pa.Table, table: Table, b: int, fmt: str, out_dir: Path
) -> dict[str, Any]:
    """Write the rows of batch b (0-based) into the table's file of that batch."""
    ext = {"csv": "csv", "jsonl": "jsonl", "parquet": "parquet"}[fmt]
    rel = f"{table.name}/{table.name}__b{b + 1:02d}_{batch_name(b)}.{ext}"
    sink.write(data, out_dir / rel, fmt)
    return {"path": rel, "table": table.name, "batch": b + 1, "rows": data.num_rows, "format": fmt}


def _junk(
    rng: np.random.Generator, table: Table, fmt: str, base: pa.Table, n: int
) -> tuple[pa.Table | None, np.ndarray, list[str]]:
    """Malformed rows: copies of random rows with one defect each and a fresh
    (or blank) key, so a clean version of every record stays in the files."""
    if fmt == "parquet" or n < config.MALFORMED_MIN_TABLE_ROWS:
        return None, np.zeros(0, dtype=np.int64), []
    k = max(1, round(n * config.MALFORMED_ROW_RATE))
    src = np.sort(rng.choice(n, size=k, replace=False))
    date_cols = [
        c.name
        for c in table.columns
        if c.required and c.data_type in ("timestamp", "date") and c.name != table.primary_key
    ]
    if table.version_column in date_cols:
        date_cols = [table.version_column]
    numeric = [
        c for c in table.columns if c.min_value is not None and c.min_value >= 0 and c.is_numeric
    ]
    numeric.sort(key=lambda c: not c.data_type.startswith("decimal"))  # amounts first
    amount_cols = [c.name for c in numeric]
    fallback = "125.00" if numeric and numeric[0].data_type.startswith("decimal") else "5"
    kinds = [
        kd
        for kd, ok in zip(MALFORMED_KINDS, (bool(date_cols), bool(amount_cols), True), strict=True)
        if ok
    ]
    kind = [kinds[i] for i in rng.integers(0, len(kinds), k)]
    prefix, _width = config.KEY_FORMAT[table.name]
    junk_base = shard.row_offset(table.name)  # junk keys unique across shards
    rows = base.take(pa.array(src)).to_pylist()
    bad = rng.integers(0, len(BAD_DATES), k)
    for i, row in enumerate(rows):
        row[table.primary_key] = f"{prefix}{config.JUNK_KEY_BASE + junk_base + int(src[i]) + 1}"
        if kind[i] == "missing_key":
            row[table.primary_key] = None if i % 2 == 0 else "  "
        elif kind[i] == "unparseable_date":
            row[date_cols[0]] = BAD_DATES[bad[i]]
        else:
            col = amount_cols[0]
            v = row[col]
            if not v or v.lstrip("-") in ("0", "0.00"):
                v = fallback
            row[col] = "-" + v.lstrip("-")
    return pa.Table.from_pylist(rows, schema=base.schema), src, kind


assert len(BATCH_EDGES) == NB + 1
