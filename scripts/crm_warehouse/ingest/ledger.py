"""The loader's own tables in the raw schema and what it writes to them:
raw._load_ledger (one row per file hash, which makes a re-run of the same
file a no-op), raw._load_audit (every check's count per file) and the DDL of
raw._quarantine (quarantine.py writes its rows); `ensure_raw_schema` creates
them with the contract tables.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from crm_warehouse.ingest.contract import LOADER_COLUMNS, Contract, load_contract
from crm_warehouse.ingest.files import FileStat, batch_id_for, prefix_sha256
from crm_warehouse.ingest.inspection import Layout
from crm_warehouse.ingest.results import (
    STATUS_LOADED,
    STATUS_REJECTED,
    STATUS_SKIPPED,
    FileLoad,
    FileState,
)
from crm_warehouse.settings import sql_identifier

LEDGER_DDL = """
create table if not exists raw._load_ledger (
    file_hash varchar primary key,
    source_file varchar not null,
    table_name varchar,
    batch_id varchar,
    status varchar not null,
    rows_landed bigint not null,
    rows_loaded bigint not null,
    rows_quarantined bigint not null,
    started_at timestamp not null,
    finished_at timestamp not null,
    message varchar,
    file_bytes bigint,
    file_stamp varchar
)"""

QUARANTINE_DDL = """
create table if not exists raw._quarantine (
    batch_id varchar,
    file_hash varchar,
    source_file varchar,
    table_name varchar,
    source_row bigint,
    column_name varchar,
    rule varchar,
    reason varchar,
    raw_value varchar,
    raw_record varchar,
    quarantined_at timestamp
)"""

AUDIT_DDL = """
create table if not exists raw._load_audit (
    file_hash varchar,
    batch_id varchar,
    source_file varchar,
    table_name varchar,
    status varchar,
    check_name varchar,
    column_name varchar,
    row_count bigint,
    detail varchar,
    logged_at timestamp
)"""


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """The block's statements in one transaction: committed at its end,
    rolled back when it raises."""
    con.execute("begin transaction")
    try:
        yield
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise


def ensure_raw_schema(con: duckdb.DuckDBPyConnection, contract: Contract | None = None) -> None:
    """Create schema raw, every contract table (empty) and the loader's audit
    tables; add contract columns that an older raw table lacks. One
    transaction: the loader's connection checkpoints at every commit
    (connection.CHECKPOINT_THRESHOLD), and a new warehouse's 27 statements
    each checkpointing took 56-67 ms against 16-22 ms in one."""
    with transaction(con):
        _create_raw_schema(con, contract or load_contract())


def _create_raw_schema(con: duckdb.DuckDBPyConnection, contract: Contract) -> None:
    con.execute(f"create schema if not exists {contract.schema}")
    existing: dict[str, set[str]] = {}
    for table_name, column_name in con.execute(
        "select table_name, column_name from information_schema.columns where table_schema = ?",
        [contract.schema],
    ).fetchall():
        existing.setdefault(table_name, set()).add(column_name)
    for table in contract.tables:
        if table.name not in existing:
            con.execute(table.create_table_sql(contract.schema))
            continue
        wanted = [(c.name, c.duckdb_type) for c in table.columns] + list(LOADER_COLUMNS.items())
        for name, dtype in wanted:
            if name not in existing[table.name]:
                target = f"{contract.schema}.{sql_identifier(table.name)}"
                con.execute(f"alter table {target} add column {sql_identifier(name)} {dtype}")
    for ddl in (LEDGER_DDL, QUARANTINE_DDL, AUDIT_DDL):
        con.execute(ddl)
    # a ledger of an older version: the size lets a grown file be told apart
    con.execute("alter table raw._load_ledger add column if not exists file_bytes bigint")
    con.execute("alter table raw._load_ledger add column if not exists file_stamp varchar")


def utc_now() -> datetime:
    """UTC now without tzinfo (raw timestamps are UTC)."""
    return datetime.now(UTC).replace(tzinfo=None)


def earlier_load(con: duckdb.DuckDBPyConnection, file_hash: str) -> tuple[Any, ...] | None:
    """(source_file, status, finished_at, message) of the ledger row of a
    file hash, or None when the content was never processed."""
    prior = con.execute(
        "select source_file, status, finished_at, message from raw._load_ledger"
        " where file_hash = ?",
        [file_hash],
    ).fetchall()
    return prior[0] if prior else None


def unchanged_file(
    con: duckdb.DuckDBPyConnection, rel: str, path: Path, stat: FileStat
) -> FileLoad | None:
    """The skipped FileLoad of the file at `rel` when the ledger recorded it with
    this size and stamp (files.FileStat: not written since), else None; the
    loader then skips it without hashing it again. `recorded_stats` asks the
    same of the whole ledger at once (the loader's lanes count new bytes)."""
    prior = con.execute(
        "select file_hash, status, finished_at, message from raw._load_ledger"
        " where source_file = ? and file_bytes = ? and file_stamp = ? and status in (?, ?)"
        " order by finished_at desc limit 1",
        [rel, stat.size, stat.stamp, STATUS_LOADED, STATUS_REJECTED],
    ).fetchall()
    if not prior:
        return None
    file_hash, status, finished, message = prior[0]
    result = FileLoad(rel, None, batch_id_for(path, file_hash), STATUS_SKIPPED)
    result.file_hash = file_hash
    note = f": {message}" if status == STATUS_REJECTED and message else ""
    result.messages.append(
        f"{rel}: skipped: not written since it was processed (same size, modification and"
        f" change time; sha256 {file_hash[:12]}) on {finished:%Y-%m-%d %H:%M:%S} UTC with"
        f" status {status}{note}"
    )
    return result


def recorded_stats(con: duckdb.DuckDBPyConnection) -> set[tuple[str, int, str]]:
    """(source file, bytes, stamp) of every file the ledger holds as loaded or
    rejected: a file found with the same three is skipped unread
    (`unchanged_file`; `files.held_unchanged` asks it of this set)."""
    rows = con.execute(
        "select source_file, file_bytes, file_stamp from raw._load_ledger"
        " where file_bytes is not null and file_stamp is not null and status in (?, ?)",
        [STATUS_LOADED, STATUS_REJECTED],
    ).fetchall()
    return {(str(f), int(b), str(st)) for f, b, st in rows}


def grown_from(
    con: duckdb.DuckDBPyConnection, rel: str, path: Path, size: int
) -> tuple[Any, ...] | None:
    """(finished_at, rows_landed, file_bytes) of an earlier load of the file
    at `rel` whose content is the start of the file now (rows were appended
    to it since), or None."""
    earlier = con.execute(
        "select file_hash, finished_at, rows_landed, file_bytes from raw._load_ledger"
        " where source_file = ? and status = ? and file_bytes < ? order by finished_at desc",
        [rel, STATUS_LOADED, size],
    ).fetchall()
    for file_hash, finished_at, rows_landed, file_bytes in earlier:
        if prefix_sha256(path, file_bytes) == file_hash:
            return finished_at, rows_landed, file_bytes
    return None


def grown_reason(finished_at: datetime, rows: int, was: int, now: int) -> str:
    """Why a grown file is rejected, and what to do instead."""
    return (
        f"the file grew since it was loaded on {finished_at:%Y-%m-%d %H:%M:%S} UTC"
        f" ({was:,} bytes and {rows:,} rows then, {now:,} bytes now): loading it again would"
        " load those rows twice, and loading only the appended rows is not supported."
        " Land the appended rows as a new file (with the header) and move this one out of"
        " landing/"
    )


def record_file(
    con: duckdb.DuckDBPyConnection,
    result: FileLoad,
    landed: int,
    loaded: int,
    quarantined: int,
    started_at: datetime,
    finished_at: datetime,
    message: str | None,
    file_bytes: int | None = None,
    file_stamp: str | None = None,
) -> None:
    """The ledger row of a processed file (`message`: the reason it was rejected;
    `file_bytes` and `file_stamp`: its size and files.FileStat stamp when hashed)."""
    # the same bytes rejected at another place (folder, format) give way to this attempt
    con.execute(
        "delete from raw._load_ledger where file_hash = ? and status = ?",
        [result.file_hash, STATUS_REJECTED],
    )
    con.execute(
        "insert into raw._load_ledger (file_hash, source_file, table_name, batch_id, status,"
        " rows_landed, rows_loaded, rows_quarantined, started_at, finished_at, message,"
        " file_bytes, file_stamp) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            result.file_hash,
            result.path,
            result.table,
            result.batch_id,
            result.status if message is None else STATUS_REJECTED,
            landed,
            loaded,
            quarantined,
            started_at,
            finished_at,
            message,
            file_bytes,
            file_stamp,
        ],
    )


def audit(
    con: duckdb.DuckDBPyConnection,
    result: FileLoad,
    status: str,
    check: str,
    column: str | None,
    count: int,
    detail: str | None,
) -> None:
    """One raw._load_audit row: a check's count (and detail) for one file."""
    audit_rows(con, result, status, [(check, column, count, detail)])


def audit_rows(
    con: duckdb.DuckDBPyConnection,
    result: FileLoad,
    status: str,
    checks: list[tuple[str, str | None, int, str | None]],
) -> None:
    """raw._load_audit rows of one file, (check, column, count, detail) each,
    in one insert with one time."""
    at = utc_now()
    params: list[Any] = []
    for check, column, count, detail in checks:
        params += [result.file_hash, result.batch_id, result.path, result.table, status]
        params += [check, column, count, detail, at]
    rows = ", ".join(["(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"] * len(checks))
    con.execute(f"insert into raw._load_audit values {rows}", params)


def audit_loaded(
    con: duckdb.DuckDBPyConnection, result: FileLoad, layout: Layout, state: FileState
) -> None:
    """The audit rows of a loaded file: its row counts, the failures per rule
    and column, the extra and the missing optional columns."""
    checks: list[tuple[str, str | None, int, str | None]] = [
        ("rows_landed", None, state.rows_landed, None),
        ("rows_loaded", None, state.rows_loaded, None),
        ("rows_quarantined", None, state.rows_quarantined, None),
    ]
    checks += [(kind, column, n, None) for (kind, column), n in sorted(state.rule_counts.items())]
    checks += [
        ("open_end_as_null", column, n, "loaded as null")
        for column, n in sorted(state.open_ends.items())
    ]
    checks += [("extra_column", extra, 0, "ignored") for extra in layout.extras]
    checks += [("missing_optional_column", m, 0, "null") for m in layout.missing_optional]
    audit_rows(con, result, STATUS_LOADED, checks)


def record_refusal(con: duckdb.DuckDBPyConnection, result: FileLoad, reason: str) -> None:
    """The audit row of a refused file, in its own transaction (no ledger
    row: it is refused again on every run)."""
    with transaction(con):
        audit(con, result, STATUS_REJECTED, "file_refused", None, 0, reason)


def record_rejection(
    con: duckdb.DuckDBPyConnection,
    result: FileLoad,
    reason: str,
    started_at: datetime,
    stat: FileStat,
) -> None:
    """The ledger and audit rows of a rejected file (its stat as hashed), in one transaction."""
    with transaction(con):
        record_file(con, result, 0, 0, 0, started_at, utc_now(), reason, stat.size, stat.stamp)
        audit(con, result, STATUS_REJECTED, "file_rejected", None, 0, reason)
