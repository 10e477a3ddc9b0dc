"""Streaming one file through DuckDB: the query a file is read with (text,
typed and companion columns), the insert that appends its good rows, reading
it in chunks (`batches`, optionally one chunk ahead in a thread) and the
writer thread that appends chunk k while Great Expectations validates k+1.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import duckdb
import pyarrow as pa

from crm_warehouse.ingest.contract import LOADER_COLUMNS, Table
from crm_warehouse.ingest.inspection import Layout
from crm_warehouse.ingest.validate import derive_rules, frame_columns, logical_type
from crm_warehouse.settings import sql_identifier


def stream_query(layout: Layout, table: Table) -> str:
    """The query a file streams through: text columns t<i> in file order, typed
    v_<column> (try_cast) for non-varchar columns, and the companions the GX
    frame needs (<column>__num doubles, <primary key>__hash).

    A blank value (empty or only spaces) of a column that has a rule becomes
    null; an identifier (`Table.identifiers`) loses the spaces around it
    (only spaces: null); other columns keep their text ('' becomes null)."""
    ruled = {r.column for r in derive_rules(table)}
    ids = table.identifiers
    by_index = {i: c for c, i in layout.contract_index.items()}
    inner = []
    for i, expr in enumerate(layout.text_sql):
        if by_index.get(i) in ids:
            inner.append(f"nullif(trim({expr}), '') as t{i}")
        elif by_index.get(i) in ruled:
            inner.append(f"case when trim({expr}) = '' then null else {expr} end as t{i}")
        else:
            inner.append(f"nullif({expr}, '') as t{i}")
    outer = [f"t{i}" for i in range(len(layout.file_columns))]
    for col in table.columns:
        if col.name not in layout.contract_index:
            continue
        t = f"t{layout.contract_index[col.name]}"
        typed = sql_identifier("v_" + col.name)
        ltype = logical_type(col)
        if ltype == "boolean":
            outer.append(f"try_cast(trim({t}) as boolean) as {typed}")
        elif ltype != "varchar":
            outer.append(f"try_cast({t} as {col.duckdb_type}) as {typed}")
    for fc in frame_columns(table):
        if fc.column not in layout.contract_index:
            continue
        t = f"t{layout.contract_index[fc.column]}"
        if fc.kind == "num":
            outer.append(f"try_cast({t} as double) as {sql_identifier(fc.name)}")
        elif fc.kind == "hash":
            outer.append(
                f"case when {t} is not null then hash({t}) end as {sql_identifier(fc.name)}"
            )
    return f"select {', '.join(outer)} from (select {', '.join(inner)} from {layout.source_sql})"


def append_query(layout: Layout, table: Table, schema: str) -> str:
    """The insert appending a chunk's good rows (the Arrow table `good_rows`,
    read by replacement scan) to <schema>.<table> with the loader's columns."""
    cols, exprs = [], []
    for col in table.columns:
        cols.append(sql_identifier(col.name))
        if col.name not in layout.contract_index:
            exprs.append(f"cast(null as {col.duckdb_type})")
        elif logical_type(col) == "varchar":
            exprs.append(f"t{layout.contract_index[col.name]}")
        else:
            exprs.append(sql_identifier("v_" + col.name))
    cols += [sql_identifier(c) for c in LOADER_COLUMNS]
    exprs += ["$batch_id", "$source_file", "__row", "$loaded_at"]
    return (
        f"insert into {schema}.{sql_identifier(table.name)} ({', '.join(cols)}) "
        f"select {', '.join(exprs)} from good_rows"
    )


class ReadError(Exception):
    """DuckDB failed while reading the landed file."""


def batches(con: duckdb.DuckDBPyConnection, sql: str, chunk_rows: int) -> Iterator[pa.Table]:
    """The query's rows in tables of `chunk_rows` rows (the last one smaller);
    a DuckDB error while reading becomes ReadError."""
    try:
        reader = con.sql(sql).to_arrow_reader(chunk_rows)
    except duckdb.Error as exc:
        raise ReadError(str(exc)) from exc
    pending: list[pa.RecordBatch] = []
    size = 0
    try:
        while True:
            try:
                batch = reader.read_next_batch()
            except StopIteration:
                break
            except (duckdb.Error, pa.ArrowException) as exc:
                raise ReadError(str(exc)) from exc
            pending.append(batch)
            size += batch.num_rows
            if size >= chunk_rows:
                yield pa.Table.from_batches(pending)
                pending, size = [], 0
    finally:
        reader.close()  # a consumer that stops early frees the connection at once
    if pending:
        yield pa.Table.from_batches(pending)


def prefetched(items: Iterator[pa.Table]) -> Iterator[pa.Table]:
    """Yield `items`, produced one ahead in a background thread: DuckDB reads
    the next chunk (releasing the GIL) while GX validates this one."""
    slots: queue.Queue[tuple[str, Any]] = queue.Queue(maxsize=1)
    stop = threading.Event()

    def put(item: tuple[str, Any]) -> bool:
        while not stop.is_set():
            try:
                slots.put(item, timeout=0.05)
                return True
            except queue.Full:
                continue
        return False

    def work() -> None:
        try:
            for item in items:
                if not put(("item", item)):
                    return
            put(("end", None))
        except BaseException as exc:
            put(("error", exc))

    worker = threading.Thread(target=work, name="crm-load-reader", daemon=True)
    worker.start()
    try:
        while True:
            kind, value = slots.get()
            if kind == "item":
                yield value
            elif kind == "error":
                raise value
            else:
                return
    finally:
        stop.set()
        worker.join()


def chain(first: pa.Table, rest: Iterator[pa.Table]) -> Iterator[pa.Table]:
    """`first`, then every table of `rest`."""
    yield first
    yield from rest


class Writer:
    """Runs the appends of one file on its connection in a background thread,
    one at a time, so DuckDB writes chunk k while GX validates chunk k+1
    (`pipeline` False: each append runs at once, in the caller's thread)."""

    def __init__(self, pipeline: bool = True) -> None:
        self._pipeline = pipeline
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="crm-load-writer")
        self._pending: Future[None] | None = None

    def wait(self) -> None:
        """Block until the last write is done; re-raise its error."""
        pending, self._pending = self._pending, None
        if pending is not None:
            pending.result()

    def submit(self, fn: Callable[[], None]) -> None:
        self.wait()
        if self._pipeline:
            self._pending = self._pool.submit(fn)
        else:
            fn()

    def close(self) -> None:
        try:
            self.wait()
        finally:
            self._pool.shutdown(wait=True)
