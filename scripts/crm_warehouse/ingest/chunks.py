"""The verdict on one chunk of rows: the frame Great Expectations validates
and its failures, the loader's own checks on top (values that pass the type
regex but do not cast, dates outside the sane window, key repeats confirmed on
the text), quarantining the failing rows, appending the others, and the keys
that repeat across the chunks of one file.
"""

from __future__ import annotations

import threading
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from crm_warehouse.ingest.contract import OPEN_END_DATES, Column, Table
from crm_warehouse.ingest.inspection import Layout
from crm_warehouse.ingest.lines import forget_problems
from crm_warehouse.ingest.quarantine import quarantine_rows, records_at
from crm_warehouse.ingest.results import FileState
from crm_warehouse.ingest.stream import Writer, batches
from crm_warehouse.ingest.validate import TableValidator, hash_column, logical_type, new_context
from crm_warehouse.settings import DateWindow, sql_identifier

#: {(rule kind, contract column): failing row positions in the chunk}
Flagged = dict[tuple[str, str], np.ndarray]

#: Odd 64-bit constant; file i of a validation group xors (i + 1) * SALT into its key hashes.
SALT = 0x9E3779B97F4A7C15

_FRAME_NULL_TYPES = {"text": pa.large_string(), "num": pa.float64(), "hash": pa.uint64()}
#: Arrow -> pandas types of the GX frame: nullable UInt64 keeps the hashes exact.
_FRAME_TYPES = {pa.uint64(): pd.UInt64Dtype()}

_VALIDATORS: dict[Table, TableValidator] = {}
_VALIDATORS_LOCK = threading.Lock()


def validator_for(table: Table) -> TableValidator:
    """The GX suite, context and batch definition of a table, built once per
    process (the context is shared by every table)."""
    with _VALIDATORS_LOCK:
        if table not in _VALIDATORS:
            context = next(iter(_VALIDATORS.values())).context if _VALIDATORS else new_context()
            name = f"raw_{table.name}_{len(_VALIDATORS)}"
            _VALIDATORS[table] = TableValidator(table, context, name)
        return _VALIDATORS[table]


def warm_validators(tables: list[Table]) -> threading.Thread | None:
    """Build the validators of `tables` (in that order) in a background
    thread, started here; None when there are none. Importing GX and building
    a suite hold Python's GIL, but the loader's first steps on a file (its
    hash, inspection and first read) mostly release it, so the two overlap
    instead of the first validation waiting for both. A table whose validator
    fails here is built again, and fails, when its file needs it."""
    if not tables:
        return None

    def build() -> None:
        for table in tables:
            try:
                validator_for(table)
            except Exception:  # raised again where the loader asks for it
                return

    thread = threading.Thread(target=build, name="crm-load-validators", daemon=True)
    thread.start()
    return thread


def gx_frame(batch: pa.Table, layout: Layout, validator: TableValidator, salt: int = 0) -> pa.Table:
    """The frame GX validates: the rule columns as text plus the companions.
    `salt` (xor-ed into the key hash) keeps keys of different files apart when
    small files are validated together."""
    n = batch.num_rows
    cols: dict[str, pa.ChunkedArray | pa.Array] = {}
    for fc in validator.frame_columns:
        if fc.column not in layout.contract_index:  # an absent optional column
            cols[fc.name] = pa.nulls(n, _FRAME_NULL_TYPES[fc.kind])
        elif fc.kind == "text":
            cols[fc.name] = batch.column(f"t{layout.contract_index[fc.column]}")
        elif fc.kind == "hash" and salt:
            cols[fc.name] = pc.bit_wise_xor(batch.column(fc.name), pa.scalar(salt, pa.uint64()))
        else:
            cols[fc.name] = batch.column(fc.name)
    return pa.table(cols)


def validate_frame(validator: TableValidator, frame: pa.Table) -> Flagged:
    """GX on one frame: {(rule kind, column): failing row positions}."""
    failures = validator.validate(frame.to_pandas(types_mapper=_FRAME_TYPES.get))
    return {(f.rule.kind, f.rule.column): f.positions for f in failures}


def _flag_unparseable(batch: pa.Table, layout: Layout, table: Table, flagged: Flagged) -> None:
    """Values that pass the type regex but do not cast (2024-02-30, overflow)."""
    for col in table.columns:
        if logical_type(col) == "varchar" or col.name not in layout.contract_index:
            continue
        text = batch.column(f"t{layout.contract_index[col.name]}")
        typed = batch.column(f"v_{col.name}")
        bad = np.flatnonzero(pc.and_(pc.is_valid(text), pc.is_null(typed)).to_numpy())
        if bad.size:
            already = flagged.get(("type", col.name))
            if already is not None and already.size:
                bad = np.setdiff1d(bad, already, assume_unique=True)
            if bad.size:
                flagged[("unparseable", col.name)] = bad


def outside_window(typed: pa.ChunkedArray, window: DateWindow) -> np.ndarray:
    """Positions of the non-null typed dates or timestamps before the window's
    first day or after its last day."""
    if pa.types.is_timestamp(typed.type):
        tz = UTC if typed.type.tz else None
        low = pa.scalar(datetime.combine(window.start, datetime.min.time(), tz), typed.type)
        after = window.end + timedelta(days=1)
        high = pa.scalar(datetime.combine(after, datetime.min.time(), tz), typed.type)
        outside = pc.or_(pc.less(typed, low), pc.greater_equal(typed, high))
    else:
        days = typed.cast(pa.date32())
        outside = pc.or_(
            pc.less(days, pa.scalar(window.start, pa.date32())),
            pc.greater(days, pa.scalar(window.end, pa.date32())),
        )
    return np.flatnonzero(pc.fill_null(outside, False).to_numpy(zero_copy_only=False))


def _open_ends(typed: pa.ChunkedArray) -> pa.ChunkedArray:
    """True where a typed date or timestamp is on an open-end day (9999-12-31...)."""
    sentinels = pa.array(OPEN_END_DATES, pa.date32())
    return pc.fill_null(pc.is_in(typed.cast(pa.date32()), value_set=sentinels), False)


def open_ends_as_null(batch: pa.Table, layout: Layout, state: FileState) -> pa.Table:
    """`batch` with the open-end dates (9999-12-31, 2999-12-31; a timestamp on
    such a day) of the contract's open_end columns set to null, counted in
    state.open_ends. Run after check_chunk, which lets these (and only these)
    through the date window."""
    for col in state.table.columns:
        if not col.open_end or col.name not in layout.contract_index:
            continue
        name = f"v_{col.name}"
        typed = batch.column(name)
        hit = _open_ends(typed)
        n = int(pc.sum(hit).as_py() or 0)
        if n:
            nulled = pc.if_else(hit, pa.scalar(None, typed.type), typed)
            batch = batch.set_column(batch.schema.get_field_index(name), name, nulled)
            state.open_ends[col.name] += n
    return batch


def _confirm_unique(
    batch: pa.Table, layout: Layout, state: FileState, flagged: Flagged, start: int
) -> None:
    """Uniqueness ran on a hash: keep only rows whose key text really repeats."""
    pk = state.table.primary_key
    unique_key = ("unique", pk)
    if unique_key not in flagged:
        return
    pk_text = batch.column(f"t{layout.contract_index[pk]}")
    positions = flagged[unique_key]
    texts = pk_text.take(pa.array(positions, type=pa.int64())).to_pylist()
    counts = Counter(texts)
    positions = positions[[counts[t] > 1 for t in texts]]
    if positions.size:
        flagged[unique_key] = positions
        state.unique_flagged.update((positions + start + 1).tolist())
    else:
        del flagged[unique_key]


def check_chunk(
    batch: pa.Table, layout: Layout, flagged: Flagged, state: FileState, start: int
) -> Flagged:
    """GX's failures of a chunk (rows start+1.. of the file) completed with the
    loader's own checks; keeps the chunk's key hashes for the cross-chunk check."""
    table = state.table
    flagged = dict(flagged)
    _flag_unparseable(batch, layout, table, flagged)
    # real dates outside the sane window (2999-01-01, 1900-01-01)
    if state.date_window is not None:
        for col in table.columns:
            if col.name in layout.contract_index and logical_type(col) in ("date", "timestamp"):
                typed = batch.column(f"v_{col.name}")
                out = outside_window(typed, state.date_window)
                if col.open_end and out.size:  # open ends load as null (open_ends_as_null)
                    out = np.setdiff1d(out, np.flatnonzero(_open_ends(typed).to_numpy()))
                if out.size:
                    flagged[("date_window", col.name)] = out
    _confirm_unique(batch, layout, state, flagged, start)
    # key hashes (0 = null key), for duplicates across chunks
    state.pk_hashes.append(pc.fill_null(batch.column(hash_column(table.primary_key)), 0).to_numpy())
    return flagged


def quarantine_chunk(
    con: duckdb.DuckDBPyConnection,
    batch: pa.Table,
    layout: Layout,
    flagged: Flagged,
    state: FileState,
    start: int,
    writer: Writer,
) -> np.ndarray:
    """Quarantine the flagged rows of a chunk (once the writer has finished
    with the connection); their positions in the chunk."""
    bad_positions = (
        np.unique(np.concatenate(list(flagged.values())))
        if flagged
        else np.empty(0, dtype=np.int64)
    )
    if not bad_positions.size:
        return bad_positions
    rows = np.arange(start + 1, start + batch.num_rows + 1, dtype=np.int64)
    records = dict(
        zip((rows[bad_positions]).tolist(), records_at(batch, layout, bad_positions), strict=True)
    )
    issues: list[tuple[int, str, Column, Any]] = []
    for (kind, colname), positions in flagged.items():
        column = state.table.column(colname)
        idx = layout.contract_index.get(colname)
        values = (
            batch.column(f"t{idx}").take(pa.array(positions, type=pa.int64())).to_pylist()
            if idx is not None
            else [None] * len(positions)
        )
        for pos, value in zip(positions.tolist(), values, strict=True):
            issues.append((start + 1 + pos, kind, column, value))
    with state.timed("quarantine"):
        writer.wait()  # the connection is free again
        quarantine_rows(con, state, issues, records)
    state.rows_quarantined += int(bad_positions.size)
    return bad_positions


def append_chunk(
    con: duckdb.DuckDBPyConnection,
    batch: pa.Table,
    bad_positions: np.ndarray,
    state: FileState,
    start: int,
    insert_sql: str,
    writer: Writer,
) -> None:
    """Append the rows of a chunk not at `bad_positions`, numbered from
    start+1, through the writer thread."""
    n = batch.num_rows
    rows = np.arange(start + 1, start + n + 1, dtype=np.int64)
    good = batch.append_column("__row", pa.array(rows))
    if bad_positions.size:
        keep = np.ones(n, dtype=bool)
        keep[bad_positions] = False
        good = good.filter(pa.array(keep))
    if not good.num_rows:
        return
    params = {
        "batch_id": state.batch_id,
        "source_file": state.rel,
        "loaded_at": state.started_at,
    }

    def insert() -> None:
        # DuckDB reads `good_rows` by replacement scan; con.register() kept
        # every registered table alive until the end of the transaction
        # (~300 MB per million rows), a replacement scan does not.
        good_rows = good
        with state.timed("insert"):
            con.execute(insert_sql, params)
        del good_rows

    with state.timed("insert_wait"):
        writer.submit(insert)
    state.rows_loaded += good.num_rows


def _cross_chunk_candidates(chunk_hashes: list[np.ndarray]) -> np.ndarray:
    """0-based file positions of rows whose key hash (0 = no key) occurs in more
    than one chunk, sorted."""
    ends = np.cumsum([len(h) for h in chunk_hashes])
    hashes = np.concatenate(chunk_hashes)
    positions = np.flatnonzero(hashes != 0)
    hashes = hashes[positions]
    if hashes.size == 0:
        return positions
    order = np.argsort(hashes, kind="stable")
    hashes, positions = hashes[order], positions[order]
    starts = np.flatnonzero(np.r_[True, hashes[1:] != hashes[:-1]])
    counts = np.diff(np.r_[starts, hashes.size])
    chunk = np.searchsorted(ends, positions, side="right")
    spans = np.minimum.reduceat(chunk, starts) != np.maximum.reduceat(chunk, starts)
    return np.sort(positions[np.repeat(spans, counts)])


def _candidate_records(
    reader: duckdb.DuckDBPyConnection,
    layout: Layout,
    state: FileState,
    stream_sql: str,
    chunk_rows: int,
    candidates: np.ndarray,
) -> tuple[dict[int, dict], dict[int, Any]]:
    """Second pass over the file: the records and key texts of the candidate
    rows (1-based row numbers)."""
    pk_idx = layout.contract_index[state.table.primary_key]
    cand_rows: dict[int, dict] = {}
    pk_values: dict[int, Any] = {}
    seen = 0
    for batch in batches(reader, stream_sql, chunk_rows):
        n = batch.num_rows
        lo, hi = np.searchsorted(candidates, [seen, seen + n])
        local = candidates[lo:hi] - seen
        if local.size:
            recs = records_at(batch, layout, local)
            for pos, rec in zip(local.tolist(), recs, strict=True):
                row = seen + pos + 1
                cand_rows[row] = rec
                pk_values[row] = rec[layout.file_columns[pk_idx]]
        seen += n
    forget_problems(reader, layout.problems)  # this pass refilled the file's rejects tables
    return cand_rows, pk_values


def cross_chunk_duplicates(
    con: duckdb.DuckDBPyConnection,
    reader: duckdb.DuckDBPyConnection,
    layout: Layout,
    state: FileState,
    stream_sql: str,
    chunk_rows: int,
) -> None:
    """Quarantine rows whose primary key repeats in another chunk of the file
    (GX sees one chunk at a time). Runs only for files of more than one chunk;
    a second pass over the file happens only when a repeated key exists."""
    if len(state.pk_hashes) <= 1:
        return
    candidates = _cross_chunk_candidates(state.pk_hashes)
    if candidates.size == 0:
        return
    table = state.table
    cand_rows, pk_values = _candidate_records(
        reader, layout, state, stream_sql, chunk_rows, candidates
    )
    groups: dict[Any, list[int]] = {}
    for row, value in pk_values.items():
        if value is not None:
            groups.setdefault(value, []).append(row)
    new_rows = sorted(
        row
        for rows in groups.values()
        if len(rows) > 1
        for row in rows
        if row not in state.unique_flagged
    )
    if not new_rows:
        return
    already_quarantined = {
        r[0]
        for r in con.execute(
            "select distinct source_row from raw._quarantine where file_hash = ?"
            " and quarantined_at = ? and source_row in (select unnest(?))",
            [state.file_hash, state.started_at, new_rows],
        ).fetchall()
    }
    loaded = [r for r in new_rows if r not in already_quarantined]
    if loaded:
        con.execute(
            f"delete from raw.{sql_identifier(table.name)} where _source_file = ?"
            " and _loaded_at = ? and _source_row in (select unnest(?))",
            [state.rel, state.started_at, loaded],
        )
    pk_col = table.column(table.primary_key)
    issues = [(row, "unique", pk_col, pk_values[row]) for row in new_rows]
    quarantine_rows(con, state, issues, cand_rows)
    state.rows_loaded -= len(loaded)
    state.rows_quarantined += len(loaded)
