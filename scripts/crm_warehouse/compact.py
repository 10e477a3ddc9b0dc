"""Rewrite the warehouse tables that incremental builds have filled with deleted rows.

An incremental model's merge deletes the rows of every key that received new
raw rows and inserts them again, and those deletes are scattered over the
whole table. DuckDB keeps a deleted row in the file, and every scan reads it,
until its whole row group is deleted. The profile does not let dbt's
checkpoints compact them (`max_vacuum_tasks` 0, profiles/profiles.yml), and
a checkpoint with nothing to write compacts nothing: `force checkpoint` with
DuckDB's default vacuuming, on the scale-1 warehouse after four batches,
compacted none of its 235,960 deleted rows. So batches add to them
(docs/performance.md, "Deleted rows").

After a build, `compact` rewrites each table whose deleted rows reached a
share of its stored rows: in one transaction it appends the table's live rows
to itself and deletes every row stored before, so whole row groups go and the
next checkpoint frees them. The table stays the same object: its comments,
its rows (the same multiset) and the views on it are untouched.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from crm_warehouse.settings import configure_duckdb, sql_identifier

#: A table is rewritten once this share of the rows it stores are deleted
#: rows. Measured at scale 10 (docs/performance.md, "Deleted rows"): a
#: rewrite costs 14-28 full scans of the table, a full scan costs about twice
#: the deleted share more (9 % deleted: +18-42 %), and a build reads a staging
#: table 5-12 times; rewriting at about 30 % costs least over many batches.
#: CRM_COMPACT_DELETED_SHARE sets another (0 < share <= 1); 'off' never rewrites.
DEFAULT_DELETED_SHARE = 0.3
#: ... and only when it stores at least this many rows: a scan of a smaller
#: table costs next to nothing, deleted rows or not.
MIN_STORED_ROWS = 10_000


def deleted_share() -> float | None:
    """The share from CRM_COMPACT_DELETED_SHARE (else the default); None for 'off'."""
    text = os.environ.get("CRM_COMPACT_DELETED_SHARE", "").strip().lower()
    if not text:
        return DEFAULT_DELETED_SHARE
    if text in ("off", "none", "never"):
        return None
    try:
        share = float(text)
    except ValueError:
        share = -1.0
    if not 0 < share <= 1:
        raise ValueError(
            f"CRM_COMPACT_DELETED_SHARE={text!r}: give a share of deleted rows above 0"
            " and at most 1 (0.3 rewrites a table once 30 % of the rows it stores are"
            " deleted rows), or 'off'"
        )
    return share


@dataclass
class TableRows:
    """Rows one table stores (deleted ones included) and how many of them are live."""

    schema: str
    table: str
    stored: int
    live: int
    seconds: float = 0.0

    @property
    def name(self) -> str:
        return f"{self.schema}.{self.table}"

    @property
    def deleted(self) -> int:
        return self.stored - self.live

    def to_dict(self) -> dict[str, Any]:
        return {
            "table": self.name,
            "stored_rows": self.stored,
            "deleted_rows": self.deleted,
            "seconds": round(self.seconds, 2),
        }


@dataclass
class Compaction:
    """What `compact` found and did."""

    share: float | None
    rewritten: list[TableRows] = field(default_factory=list)
    #: tables past the share that were not rewritten, with DuckDB's reason
    failed: dict[str, str] = field(default_factory=dict)
    #: deleted rows left in the tables large enough to look at
    deleted_left: int = 0

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "deleted_share": self.share,
            "rewritten": [t.to_dict() for t in self.rewritten],
            "deleted_rows_removed": sum(t.deleted for t in self.rewritten),
            "deleted_rows_left": self.deleted_left,
        }
        if self.failed:
            out["not_rewritten"] = self.failed
        return out


def table_rows(
    con: duckdb.DuckDBPyConnection, min_stored: int = MIN_STORED_ROWS
) -> list[TableRows]:
    """Stored and live rows of every table of the attached database `con` uses
    that stores at least `min_stored` rows. DuckDB's `estimated_size` counts
    the rows a table stores, deleted ones included; count(*) only live ones.
    Tables with a primary key or unique constraint are left out: appending a
    copy of their rows would break the key before the old rows go."""
    keyed = {
        (schema, table)
        for schema, table in con.execute(
            "select schema_name, table_name from duckdb_constraints()"
            " where database_name = current_database()"
            " and constraint_type in ('PRIMARY KEY', 'UNIQUE')"
        ).fetchall()
    }
    sized = con.execute(
        "select schema_name, table_name, estimated_size from duckdb_tables()"
        " where database_name = current_database() and not temporary"
        " and estimated_size >= ? order by schema_name, table_name",
        [min_stored],
    ).fetchall()
    rows = []
    for schema, table, stored in sized:
        if (schema, table) in keyed:
            continue
        relation = f"{sql_identifier(schema)}.{sql_identifier(table)}"
        (live,) = con.execute(f"select count(*) from {relation}").fetchone()  # type: ignore[misc]
        rows.append(TableRows(str(schema), str(table), int(stored), int(live)))
    return rows


def rewrite(con: duckdb.DuckDBPyConnection, table: TableRows) -> None:
    """Rewrite `table` without its deleted rows, in one transaction.

    Its live rows are appended to it, then every row stored before the
    append is deleted (rowid at most the largest before it: rows a
    transaction appends get rowids above every stored one). Whole row groups
    are then deleted, and the next checkpoint frees them."""
    relation = f"{sql_identifier(table.schema)}.{sql_identifier(table.table)}"
    con.execute("begin transaction")
    try:
        (last,) = con.execute(f"select max(rowid) from {relation}").fetchone()  # type: ignore[misc]
        con.execute(f"insert into {relation} select * from {relation}")
        con.execute(f"delete from {relation} where rowid <= ?", [last])
        (live,) = con.execute(f"select count(*) from {relation}").fetchone()  # type: ignore[misc]
        if live != table.live:
            raise RuntimeError(
                f"compacting {table.name} would leave {live} rows, not its {table.live}"
            )
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise


def _connect(warehouse: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(warehouse))
    configure_duckdb(con)  # UTC and the memory limit; it spills beside the file
    return con


def compact(
    warehouse: Path,
    share: float | None = None,
    min_stored: int = MIN_STORED_ROWS,
    connect: Any = None,
) -> Compaction:
    """Rewrite every table of the DuckDB file `warehouse` that stores at least
    `min_stored` rows of which `share` or more are deleted (default: the
    environment's `deleted_share()`), then checkpoint. A table DuckDB
    refuses to rewrite keeps its rows and is named in `failed`.
    `connect(path)` opens the file (by default with the project's DuckDB
    settings)."""
    if share is None:
        share = deleted_share()
    result = Compaction(share=share)
    if share is None or not warehouse.is_file():
        return result
    con = (connect or _connect)(warehouse)
    try:
        for table in table_rows(con, min_stored):
            if table.deleted < share * table.stored:
                result.deleted_left += table.deleted
                continue
            t0 = time.perf_counter()
            try:
                rewrite(con, table)
            except (duckdb.Error, RuntimeError) as exc:
                result.failed[table.name] = f"{type(exc).__name__}: {exc}"
                result.deleted_left += table.deleted
                continue
            table.seconds = time.perf_counter() - t0
            result.rewritten.append(table)
        if result.rewritten:
            con.execute("checkpoint")
    finally:
        con.close()
    return result
