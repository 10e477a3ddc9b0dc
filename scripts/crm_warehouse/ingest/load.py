"""The validated loader: landing files -> DuckDB schema raw.

For every file under landing_dir/<table>/ (sorted by path):

1. sha256 of the content; a hash already in raw._load_ledger is skipped.
2. Structure: the folder must name a contract table, the extension must be
   .csv, .parquet or .jsonl, the file must be readable UTF-8 with a header (or
   JSON keys) naming every required contract column. A failure rejects the
   whole file: it is copied to quarantine_dir/_rejected_files/<its landing
   path> with a .reason.txt and nothing of it is loaded.
3. Rows: DuckDB streams the file as text in chunks of CHUNK_ROWS rows, with
   typed (try_cast) and numeric companion columns; Great Expectations validates
   each chunk with the suite derived from the contract (crm_warehouse.ingest.validate);
   rows that fail a rule, or that pass the type regex but still do not cast
   (2024-02-30), are quarantined (raw._quarantine and
   quarantine_dir/<table>/<file name>.rejected.csv, formula-like cells
   quoted for spreadsheets). The rest is appended to
   raw.<table> with _batch_id, _source_file, _source_row and _loaded_at.
4. All writes of one file (rows, quarantine, ledger, audit) happen in ONE
   transaction: a crash mid-file leaves nothing of it.

Speed: DuckDB reads the next chunk and appends the previous one in helper
threads while GX validates (PIPELINE); consecutive small files of one table are
validated in one GX call (GX costs ~0.1 s a call whatever its size).

rows_landed = rows_loaded + rows_quarantined holds for every file. See
docs/loading.md.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import json
import logging
import os
import queue
import re
import shutil
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import closing, contextmanager, suppress
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from crm_warehouse.ingest.contract import LOADER_COLUMNS, Column, Contract, Table, load_contract
from crm_warehouse.ingest.validate import (
    RULE_KINDS,
    TableValidator,
    derive_rules,
    describe,
    frame_columns,
    hash_column,
    logical_type,
    new_context,
)
from crm_warehouse.settings import DateWindow, Settings, configure_duckdb
from crm_warehouse.settings import sql_literal as _lit

logger = logging.getLogger(__name__)

#: Rows per validated chunk: memory stays bounded whatever the file size.
CHUNK_ROWS = 250_000
#: Row-level messages kept per file in the summary (all rows are in quarantine).
MAX_ROW_MESSAGES = 200
#: Overlap DuckDB's reading and writing with GX's validation in two helper threads.
PIPELINE = True
#: Bytes read up front to check the encoding and parse the header.
_PREFIX_BYTES = 1 << 16

FORMATS = {".csv": "csv", ".parquet": "parquet", ".jsonl": "jsonl"}
#: Top-level files of landing_dir that are not data.
IGNORED_TOP_LEVEL = frozenset({"_generation_report.json"})
REJECTED_FILES_DIR = "_rejected_files"

STATUS_LOADED = "loaded"
STATUS_SKIPPED = "skipped_duplicate_file"
STATUS_REJECTED = "rejected"
#: The file changed (size or mtime) between its hash and the end of its read:
#: nothing of it is loaded and nothing recorded, so it loads whole next time.
STATUS_CHANGING = "skipped_changing_file"

_BATCH_RE = re.compile(r"^(?P<table>.+?)__(?P<batch>b\d+_\d{4}-\d{2}-\d{2})$")

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
    message varchar
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


# --------------------------------------------------------------------------- results


@dataclass
class FileLoad:
    """What happened to one landed file."""

    path: str
    table: str | None
    batch_id: str | None
    status: str
    rows_landed: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    messages: list[str] = field(default_factory=list)
    file_hash: str = ""
    #: wall-clock seconds per phase (hash, read, validate, quarantine, insert, finish, total)
    seconds: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class LoadSummary:
    """Every file of one load_landing() call, with totals."""

    files: list[FileLoad] = field(default_factory=list)

    def _count(self, status: str) -> int:
        return sum(1 for f in self.files if f.status == status)

    @property
    def rows_landed(self) -> int:
        return sum(f.rows_landed for f in self.files)

    @property
    def rows_loaded(self) -> int:
        return sum(f.rows_loaded for f in self.files)

    @property
    def rows_quarantined(self) -> int:
        return sum(f.rows_quarantined for f in self.files)

    @property
    def totals(self) -> dict[str, int]:
        return {
            "files": len(self.files),
            "files_loaded": self._count(STATUS_LOADED),
            "files_skipped": self._count(STATUS_SKIPPED),
            "files_rejected": self._count(STATUS_REJECTED),
            "files_changing": self._count(STATUS_CHANGING),
            "rows_landed": self.rows_landed,
            "rows_loaded": self.rows_loaded,
            "rows_quarantined": self.rows_quarantined,
        }

    @property
    def messages(self) -> list[str]:
        return [m for f in self.files for m in f.messages]

    def to_dict(self) -> dict[str, Any]:
        return {"files": [f.to_dict() for f in self.files], "totals": self.totals}


class FileRejected(Exception):
    """A structural problem: the whole file is rejected."""


# --------------------------------------------------------------------------- schema


def ensure_raw_schema(con: duckdb.DuckDBPyConnection, contract: Contract | None = None) -> None:
    """Create schema raw, every contract table (empty) and the loader's audit
    tables; add contract columns that an older raw table lacks."""
    contract = contract or load_contract()
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
                target = f"{contract.schema}.{_ident(table.name)}"
                con.execute(f"alter table {target} add column {_ident(name)} {dtype}")
    for ddl in (LEDGER_DDL, QUARANTINE_DDL, AUDIT_DDL):
        con.execute(ddl)


# --------------------------------------------------------------------------- helpers


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _now() -> datetime:
    """UTC now without tzinfo (raw timestamps are UTC)."""
    return datetime.now(UTC).replace(tzinfo=None)


def file_sha256(path: Path) -> str:
    with path.open("rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def batch_id_for(path: Path, file_hash: str) -> str:
    """`b<NN>_<YYYY-MM-DD>` from a name `<table>__b<NN>_<YYYY-MM-DD>.<ext>`,
    else the first 12 hex digits of the content's sha256."""
    match = _BATCH_RE.match(path.stem)
    return match.group("batch") if match else file_hash[:12]


def discover(landing_dir: Path) -> list[Path]:
    """Files of landing_dir in sorted path order (hidden files and the
    generator's report skipped). Symbolic links are listed but never walked
    into: a linked folder is listed as itself (the loader refuses it), a
    linked file is listed (the loader refuses it when its target lies
    outside landing_dir)."""
    if not landing_dir.is_dir():
        return []
    found = []
    for dirpath, dirnames, filenames in os.walk(landing_dir, followlinks=False):
        here = Path(dirpath)
        linked = [d for d in dirnames if (here / d).is_symlink()]
        dirnames[:] = [d for d in dirnames if d not in linked]
        for name in [*filenames, *linked]:
            path = here / name
            rel = path.relative_to(landing_dir)
            if any(part.startswith(".") for part in rel.parts):
                continue
            if len(rel.parts) == 1 and rel.name in IGNORED_TOP_LEVEL:
                continue
            if not path.is_symlink() and not path.is_file():
                continue  # sockets, fifos
            found.append(path)
    return sorted(found, key=lambda p: p.relative_to(landing_dir).as_posix())


def symlink_refusal(path: Path, landing_dir: Path) -> str | None:
    """Why a symbolic link in landing/ is refused, else None. A linked folder
    is always refused; a linked file is followed only when its target lies
    inside landing_dir. The target is never opened here."""
    if not path.is_symlink():
        return None
    if not path.exists():
        return "a broken symbolic link (its target does not exist); land the file itself"
    if path.is_dir():
        return (
            "a symbolic link to a folder: table folders must be real folders inside the"
            " landing folder; nothing in it was read (copy the files in instead)"
        )
    target = path.resolve()
    if not target.is_relative_to(landing_dir.resolve()):
        return (
            "a symbolic link to a file outside the landing folder: it was not read, copied"
            " or loaded; copy the file into the landing folder instead"
        )
    return None


def _place(rel: str) -> tuple[str | None, str | None]:
    """The folder and format a landed file's name and place give it: a file
    rejected for its place does not block the same bytes under another one."""
    parts = rel.split("/")
    folder = parts[0] if len(parts) == 2 else None
    return folder, FORMATS.get(Path(rel).suffix.lower())


def _stat_key(path: Path) -> tuple[int, int]:
    st = path.stat()
    return st.st_size, st.st_mtime_ns


def _first_error_line(exc: BaseException) -> str:
    lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip()]
    text = lines[0] if lines else type(exc).__name__
    for ln in lines[1:3]:
        if ln.startswith(("Original Line", "Expected Number", "Invalid unicode")):
            text += "; " + ln
    return re.sub(r"^[A-Za-z ]*Error: ", "", text)


# --------------------------------------------------------------------------- structure


@dataclass
class Layout:
    """How to read one file: its columns and the DuckDB source expression."""

    file_columns: list[str]
    source_sql: str
    text_sql: list[str]
    #: contract column -> index in file_columns
    contract_index: dict[str, int]
    extras: list[str]
    missing_optional: list[str]


def _check_utf8(prefix: bytes, at_eof: bool) -> None:
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        decoder.decode(prefix, final=at_eof)
    except UnicodeDecodeError as exc:
        raise FileRejected(
            f"the file is not UTF-8 encoded (invalid byte 0x{prefix[exc.start]:02x} at byte "
            f"{exc.start}); re-export it as UTF-8"
        ) from exc


def _read_prefix(path: Path) -> tuple[bytes, bool]:
    with path.open("rb") as fh:
        prefix = fh.read(_PREFIX_BYTES)
        at_eof = fh.read(1) == b""
    if not prefix.strip():
        raise FileRejected("the file is empty")
    _check_utf8(prefix, at_eof)
    return prefix, at_eof


def _csv_header(path: Path) -> tuple[list[str], str]:
    prefix, _ = _read_prefix(path)
    text = prefix.decode("utf-8", errors="ignore").removeprefix("\ufeff")
    line = text.splitlines()[0] if text.splitlines() else ""
    if not line.strip():
        raise FileRejected("no header row: the first line is empty")
    counts = {d: line.count(d) for d in (",", ";", "\t", "|")}
    delim = max(counts, key=lambda d: counts[d]) if any(counts.values()) else ","
    names = next(csv.reader([line], delimiter=delim))
    return [n.strip() for n in names], delim


def _describe(reader: duckdb.DuckDBPyConnection, source_sql: str) -> list[str]:
    try:
        rows = reader.sql(f"describe select * from {source_sql}").fetchall()
    except duckdb.Error as exc:
        raise FileRejected(f"unreadable file: {_first_error_line(exc)}") from exc
    return [r[0] for r in rows]


def inspect_file(reader: duckdb.DuckDBPyConnection, path: Path, fmt: str, table: Table) -> Layout:
    """Read the structure of a file; raise FileRejected when it cannot load."""
    lit = _lit(str(path))
    if fmt == "csv":
        names, delim = _csv_header(path)
        names = [n or f"column{i + 1}" for i, n in enumerate(names)]
        columns = "{" + ", ".join(f"{_lit(n)}: 'VARCHAR'" for n in names) + "}"
        source_sql = (
            f"read_csv({lit}, auto_detect = false, header = true, delim = {_lit(delim)},"
            f" quote = '\"', escape = '\"', strict_mode = true, null_padding = false,"
            f" encoding = 'utf-8', columns = {columns})"
        )
        text_sql = [_ident(n) for n in names]
    elif fmt == "jsonl":
        _read_prefix(path)
        names = _describe(reader, f"read_json({lit}, format = 'newline_delimited')")
        columns = "{" + ", ".join(f"{_lit(n)}: 'VARCHAR'" for n in names) + "}"
        source_sql = f"read_json({lit}, format = 'newline_delimited', columns = {columns})"
        text_sql = [_ident(n) for n in names]
    else:
        source_sql = f"read_parquet({lit})"
        names = _describe(reader, source_sql)
        text_sql = [f"cast({_ident(n)} as varchar)" for n in names]

    by_lower = {c.lower(): c for c in table.column_names}
    contract_index: dict[str, int] = {}
    extras: list[str] = []
    for i, name in enumerate(names):
        col = by_lower.get(name.strip().lower())
        if col is None:
            extras.append(name)
        else:
            contract_index[col] = i
    if not contract_index:
        shown = ", ".join(names[:8]) + (", ..." if len(names) > 8 else "")
        if fmt == "jsonl":
            hint = "each line must be a JSON object keyed by the contract's column names"
            what = "keys"
        elif fmt == "csv":
            hint = "the first line must be a header naming the contract's columns"
            what = "header"
        else:
            hint = "name the Parquet columns as the contract does"
            what = "columns"
        raise FileRejected(
            f"no header: the file's {what} ({shown}) name none of the contract columns of "
            f"table {table.name}; {hint}"
        )
    _check_duplicates(names)
    missing = [c for c in table.required_columns if c not in contract_index]
    if missing:
        plural = "s" if len(missing) > 1 else ""
        raise FileRejected(
            f"required column{plural} {', '.join(repr(m) for m in missing)} "
            f"{'are' if plural else 'is'} missing; the contract of table {table.name} requires"
            f" {', '.join(table.required_columns)}"
        )
    missing_optional = [c for c in table.column_names if c not in contract_index]
    return Layout(names, source_sql, text_sql, contract_index, extras, missing_optional)


def _check_duplicates(names: list[str]) -> None:
    seen: Counter[str] = Counter(n.strip().lower() for n in names)
    dups = sorted(n for n, k in seen.items() if k > 1)
    if dups:
        raise FileRejected(f"the header names column(s) {', '.join(dups)} more than once")


# --------------------------------------------------------------------------- row loading


@dataclass
class _FileState:
    """Counters and bookkeeping while one file streams."""

    rel: str
    table: Table
    batch_id: str
    file_hash: str
    started_at: datetime
    rows_landed: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    row_messages: list[str] = field(default_factory=list)
    extra_messages: int = 0
    rule_counts: Counter[tuple[str, str]] = field(default_factory=Counter)
    unique_flagged: set[int] = field(default_factory=set)
    seconds: Counter[str] = field(default_factory=Counter)
    #: dates and timestamps outside it are quarantined (rule date_window)
    date_window: DateWindow | None = None

    @contextmanager
    def timed(self, phase: str) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[phase] += time.perf_counter() - start

    pk_hashes: list[np.ndarray] = field(default_factory=list)

    def add_message(self, row: int, column: str, reason: str) -> None:
        if len(self.row_messages) < MAX_ROW_MESSAGES:
            self.row_messages.append(
                f"{self.rel}: row {row}, column {column}: {reason} (row quarantined)"
            )
        else:
            self.extra_messages += 1


def _stream_sql(layout: Layout, table: Table) -> str:
    """The query a file streams through: text columns t<i> in file order, typed
    v_<column> (try_cast) for non-varchar columns, and the companions the GX
    frame needs (<column>__num doubles, <primary key>__hash).

    A blank value (empty or only spaces) of a column that has a rule becomes
    null; other columns keep their text ('' becomes null)."""
    ruled = {r.column for r in derive_rules(table)}
    by_index = {i: c for c, i in layout.contract_index.items()}
    inner = []
    for i, expr in enumerate(layout.text_sql):
        if by_index.get(i) in ruled:
            inner.append(f"case when trim({expr}) = '' then null else {expr} end as t{i}")
        else:
            inner.append(f"nullif({expr}, '') as t{i}")
    outer = [f"t{i}" for i in range(len(layout.file_columns))]
    for col in table.columns:
        if col.name not in layout.contract_index:
            continue
        t = f"t{layout.contract_index[col.name]}"
        ltype = logical_type(col)
        if ltype == "boolean":
            outer.append(f"try_cast(trim({t}) as boolean) as {_ident('v_' + col.name)}")
        elif ltype != "varchar":
            outer.append(f"try_cast({t} as {col.duckdb_type}) as {_ident('v_' + col.name)}")
    for fc in frame_columns(table):
        if fc.column not in layout.contract_index:
            continue
        t = f"t{layout.contract_index[fc.column]}"
        if fc.kind == "num":
            outer.append(f"try_cast({t} as double) as {_ident(fc.name)}")
        elif fc.kind == "hash":
            outer.append(f"case when {t} is not null then hash({t}) end as {_ident(fc.name)}")
    return f"select {', '.join(outer)} from (select {', '.join(inner)} from {layout.source_sql})"


def _insert_sql(layout: Layout, table: Table, schema: str) -> str:
    cols, exprs = [], []
    for col in table.columns:
        cols.append(_ident(col.name))
        if col.name not in layout.contract_index:
            exprs.append(f"cast(null as {col.duckdb_type})")
        elif logical_type(col) == "varchar":
            exprs.append(f"t{layout.contract_index[col.name]}")
        else:
            exprs.append(_ident("v_" + col.name))
    cols += [_ident(c) for c in LOADER_COLUMNS]
    exprs += ["$batch_id", "$source_file", "__row", "$loaded_at"]
    return (
        f"insert into {schema}.{_ident(table.name)} ({', '.join(cols)}) "
        f"select {', '.join(exprs)} from good_rows"
    )


def _records(batch: pa.Table, layout: Layout, positions: np.ndarray) -> list[dict]:
    taken = batch.select([f"t{i}" for i in range(len(layout.file_columns))]).take(
        pa.array(positions, type=pa.int64())
    )
    columns = [taken.column(i).to_pylist() for i in range(taken.num_columns)]
    return [
        {name: columns[i][k] for i, name in enumerate(layout.file_columns)}
        for k in range(len(positions))
    ]


def _quarantine_rows(
    con: duckdb.DuckDBPyConnection,
    state: _FileState,
    issues: list[tuple[int, str, Column, Any]],
    records: dict[int, dict],
) -> None:
    """Insert one quarantine row per (row, rule) and keep the messages."""
    if not issues:
        return
    position = {name: i for i, name in enumerate(state.table.column_names)}
    issues.sort(key=lambda x: (x[0], position[x[2].name], _RULE_ORDER[x[1]]))
    data: dict[str, list[Any]] = {
        "source_row": [],
        "column_name": [],
        "rule": [],
        "reason": [],
        "raw_value": [],
        "raw_record": [],
    }
    for row, kind, column, value in issues:
        reason = describe(kind, column, value, state.date_window)
        state.add_message(row, column.name, reason)
        state.rule_counts[(kind, column.name)] += 1
        data["source_row"].append(row)
        data["column_name"].append(column.name)
        data["rule"].append(kind)
        data["reason"].append(reason)
        data["raw_value"].append(None if value is None else str(value))
        data["raw_record"].append(json.dumps(records[row], ensure_ascii=False))
    issue_rows = pa.table(data)  # read by DuckDB's replacement scan below
    con.execute(
        "insert into raw._quarantine select $batch_id, $file_hash, $source_file, $table_name,"
        " source_row, column_name, rule, reason, raw_value, raw_record, $at from issue_rows",
        {
            "batch_id": state.batch_id,
            "file_hash": state.file_hash,
            "source_file": state.rel,
            "table_name": state.table.name,
            "at": state.started_at,
        },
    )
    del issue_rows


_FRAME_NULL_TYPES = {"text": pa.large_string(), "num": pa.float64(), "hash": pa.uint64()}
#: Arrow -> pandas types of the GX frame: nullable UInt64 keeps the hashes exact.
_FRAME_TYPES = {pa.uint64(): pd.UInt64Dtype()}

#: A row's reasons are reported in validate.RULE_KINDS order.
_RULE_ORDER = {k: i for i, k in enumerate(RULE_KINDS)}


def _gx_frame(
    batch: pa.Table, layout: Layout, validator: TableValidator, salt: int = 0
) -> pa.Table:
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


def _validate_frame(
    validator: TableValidator, frame: pa.Table
) -> dict[tuple[str, str], np.ndarray]:
    """GX on one frame: {(rule kind, column): failing row positions}."""
    failures = validator.validate(frame.to_pandas(types_mapper=_FRAME_TYPES.get))
    return {(f.rule.kind, f.rule.column): f.positions for f in failures}


def _process_chunk(
    con: duckdb.DuckDBPyConnection,
    batch: pa.Table,
    layout: Layout,
    validator: TableValidator,
    state: _FileState,
    insert_sql: str,
    writer: _Writer,
) -> None:
    """Validate one chunk of a streamed file with GX, then apply the result."""
    with state.timed("validate"):
        flagged = _validate_frame(validator, _gx_frame(batch, layout, validator))
    _apply_chunk(con, batch, layout, flagged, state, insert_sql, writer)


def _apply_chunk(
    con: duckdb.DuckDBPyConnection,
    batch: pa.Table,
    layout: Layout,
    flagged: dict[tuple[str, str], np.ndarray],
    state: _FileState,
    insert_sql: str,
    writer: _Writer,
) -> None:
    """Given GX's failures of one chunk: add the cast failures, quarantine the
    failing rows and append the others (through the writer thread)."""
    table = state.table
    n = batch.num_rows
    start = state.rows_landed
    state.rows_landed += n
    if n == 0:
        return
    flagged = dict(flagged)
    # --- values that pass the type regex but do not cast (2024-02-30, overflow)
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
    # --- real dates outside the sane window (2999-01-01, 1900-01-01)
    if state.date_window is not None:
        for col in table.columns:
            if col.name in layout.contract_index and logical_type(col) in ("date", "timestamp"):
                out = _outside_window(batch.column(f"v_{col.name}"), state.date_window)
                if out.size:
                    flagged[("date_window", col.name)] = out

    # --- uniqueness ran on a hash: keep only rows whose key text really repeats
    pk = table.primary_key
    pk_text = batch.column(f"t{layout.contract_index[pk]}")
    unique_key = ("unique", pk)
    if unique_key in flagged:
        positions = flagged[unique_key]
        texts = pk_text.take(pa.array(positions, type=pa.int64())).to_pylist()
        counts = Counter(texts)
        positions = positions[[counts[t] > 1 for t in texts]]
        if positions.size:
            flagged[unique_key] = positions
            state.unique_flagged.update((positions + start + 1).tolist())
        else:
            del flagged[unique_key]
    # --- key hashes (0 = null key), for duplicates across chunks
    state.pk_hashes.append(pc.fill_null(batch.column(hash_column(pk)), 0).to_numpy())

    bad_positions = (
        np.unique(np.concatenate(list(flagged.values())))
        if flagged
        else np.empty(0, dtype=np.int64)
    )
    rows = np.arange(start + 1, start + n + 1, dtype=np.int64)
    if bad_positions.size:
        records = dict(
            zip(
                (rows[bad_positions]).tolist(),
                _records(batch, layout, bad_positions),
                strict=True,
            )
        )
        issues: list[tuple[int, str, Column, Any]] = []
        for (kind, colname), positions in flagged.items():
            column = table.column(colname)
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
            _quarantine_rows(con, state, issues, records)
        state.rows_quarantined += int(bad_positions.size)

    good = batch.append_column("__row", pa.array(rows))
    if bad_positions.size:
        keep = np.ones(n, dtype=bool)
        keep[bad_positions] = False
        good = good.filter(pa.array(keep))
    if good.num_rows:
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


def _outside_window(typed: pa.ChunkedArray, window: DateWindow) -> np.ndarray:
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


def _abort(con: duckdb.DuckDBPyConnection, writer: _Writer, tmp_target: Path) -> None:
    """Undo a file: wait for the writer thread (its error is already being
    handled), roll the transaction back, drop the unfinished quarantine CSV."""
    with suppress(BaseException):
        writer.close()
    con.execute("rollback")
    tmp_target.unlink(missing_ok=True)


class _Writer:
    """Runs the appends of one file on its connection in a background thread,
    one at a time, so DuckDB writes chunk k while GX validates chunk k+1."""

    def __init__(self) -> None:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="crm-load-writer")
        self._pending: Future[None] | None = None

    def wait(self) -> None:
        """Block until the last write is done; re-raise its error."""
        pending, self._pending = self._pending, None
        if pending is not None:
            pending.result()

    def submit(self, fn: Callable[[], None]) -> None:
        self.wait()
        if PIPELINE:
            self._pending = self._pool.submit(fn)
        else:
            fn()

    def close(self) -> None:
        try:
            self.wait()
        finally:
            self._pool.shutdown(wait=True)


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


def _cross_chunk_duplicates(
    con: duckdb.DuckDBPyConnection,
    reader: duckdb.DuckDBPyConnection,
    layout: Layout,
    state: _FileState,
    stream_sql: str,
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
    pk_idx = layout.contract_index[table.primary_key]
    # second pass: original text of the candidate rows
    cand_rows: dict[int, dict] = {}
    pk_values: dict[int, Any] = {}
    seen = 0
    for batch in _batches(reader, stream_sql):
        n = batch.num_rows
        lo, hi = np.searchsorted(candidates, [seen, seen + n])
        local = candidates[lo:hi] - seen
        if local.size:
            recs = _records(batch, layout, local)
            for pos, rec in zip(local.tolist(), recs, strict=True):
                row = seen + pos + 1
                cand_rows[row] = rec
                pk_values[row] = rec[layout.file_columns[pk_idx]]
        seen += n
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
            f"delete from raw.{_ident(table.name)} where _source_file = ? and _loaded_at = ?"
            " and _source_row in (select unnest(?))",
            [state.rel, state.started_at, loaded],
        )
    pk_col = table.column(table.primary_key)
    issues = [(row, "unique", pk_col, pk_values[row]) for row in new_rows]
    _quarantine_rows(con, state, issues, cand_rows)
    state.rows_loaded -= len(loaded)
    state.rows_quarantined += len(loaded)


#: A cell starting with one of these is read as a formula by spreadsheets (OWASP
#: "CSV injection": = + - @ tab CR), so the rejected CSVs prefix it with a quote...
_FORMULA_START = "=+-@\t\r"
#: ... unless it is a plain number: -5.00 stays as it is (a spreadsheet reads a number).
_PLAIN_NUMBER = r"^[+-]?([0-9]+[.]?[0-9]*|[.][0-9]+)([eE][+-]?[0-9]+)?$"


def spreadsheet_safe(value: str) -> str:
    """`value` as a spreadsheet shows it without running it: a formula-like
    value gets a leading single quote (the rejected CSVs apply the same rule in SQL)."""
    if value[:1] and value[0] in _FORMULA_START and not re.match(_PLAIN_NUMBER, value):
        return "'" + value
    return value


def _spreadsheet_safe_sql(expr: str) -> str:
    """spreadsheet_safe() of a varchar SQL expression."""
    return (
        f"case when regexp_matches({expr}, '^[=+\\-@\\t\\r]')"
        f" and not regexp_matches({expr}, {_lit(_PLAIN_NUMBER)})"
        f" then chr(39) || {expr} else {expr} end"
    )


def _write_rejected_csv(
    con: duckdb.DuckDBPyConnection, layout: Layout, state: _FileState, target: Path
) -> None:
    """quarantine/<table>/<file name>.rejected.csv: row number, original values,
    reasons, every cell spreadsheet-safe (see spreadsheet_safe; the original
    values stay in raw._quarantine.raw_value and raw_record)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    values = ", ".join(
        _spreadsheet_safe_sql(f"json_extract_string(raw_record, {_lit('$.' + json.dumps(name))})")
        + f" as {_ident(spreadsheet_safe(name))}"
        for name in layout.file_columns
    )
    reasons = _spreadsheet_safe_sql(
        "string_agg(column_name || ': ' || reason, '; ' order by column_order, rule_order)"
    )
    at = state.started_at.isoformat(sep=" ")
    con.execute(
        f"""copy (
            select source_row as _source_row, {values},
                {reasons} as _reasons
            from (
                select *,
                    list_position({_lit_list(state.table.column_names)}, column_name)
                        as column_order,
                    list_position({_lit_list(list(_RULE_ORDER))}, rule) as rule_order
                from raw._quarantine
                where file_hash = {_lit(state.file_hash)} and quarantined_at = timestamp {_lit(at)}
            )
            group by source_row, raw_record
            order by source_row
        ) to {_lit(str(target))} (header true, delimiter ',')"""
    )


def _lit_list(values: list[str]) -> str:
    return "[" + ", ".join(_lit(v) for v in values) + "]"


# --------------------------------------------------------------------------- driver


_VALIDATORS: dict[Table, TableValidator] = {}
_VALIDATORS_LOCK = threading.Lock()


def _validator(table: Table) -> TableValidator:
    """The GX suite, context and batch definition of a table, built once per
    process (the context is shared by every table)."""
    with _VALIDATORS_LOCK:
        if table not in _VALIDATORS:
            context = next(iter(_VALIDATORS.values())).context if _VALIDATORS else new_context()
            name = f"raw_{table.name}_{len(_VALIDATORS)}"
            _VALIDATORS[table] = TableValidator(table, context, name)
        return _VALIDATORS[table]


#: Odd 64-bit constant; file i of a validation group xors (i + 1) * _SALT into its key hashes.
_SALT = 0x9E3779B97F4A7C15


@dataclass
class _Opened:
    """A file whose structure passed, with its first chunk read; `rest` is the
    rest of a file longer than one chunk (None for a small file)."""

    path: Path
    result: FileLoad
    layout: Layout
    state: _FileState
    stream_sql: str
    first: pa.Table
    rest: Iterator[pa.Table] | None
    #: (size, mtime_ns) before the hash: the file must not change until commit
    stat: tuple[int, int] = (0, 0)


def _chain(first: pa.Table, rest: Iterator[pa.Table]) -> Iterator[pa.Table]:
    yield first
    yield from rest


class _Loader:
    def __init__(self, con: duckdb.DuckDBPyConnection, settings: Settings, contract: Contract):
        self.con = con
        self.reader = con.cursor()
        catalog = con.execute("select current_database()").fetchone()
        self.reader.execute(f"use {_ident(str(catalog[0]))}")  # a cursor starts in its own
        self.reader.execute("set TimeZone = 'UTC'")
        # large_string buffers: pandas takes them without a copy
        self.reader.execute("set arrow_large_buffer_size = true")
        self.settings = settings
        self.contract = contract
        #: the sane window of dates and timestamps, fixed for the run
        self.date_window = settings.date_window()
        #: sha256 -> (result, place) of the files met in this run (not all committed yet)
        self._seen: dict[str, tuple[FileLoad, tuple[str | None, str | None]]] = {}
        #: (skipped copy, first file) of this run: worded once the first is done
        self._in_run_skips: list[tuple[FileLoad, FileLoad]] = []

    def validator(self, table: Table) -> TableValidator:
        return _validator(table)

    def close(self) -> None:
        self.reader.close()

    # -- driver
    def run(
        self, files: list[Path], progress: Callable[[str, int, int], None] | None
    ) -> list[FileLoad]:
        """Every file in order. Consecutive small files (one chunk each) of one
        table are validated by GX together, up to CHUNK_ROWS rows, then each is
        loaded in its own transaction; a bigger file streams chunk by chunk."""
        results: list[FileLoad] = []
        group: list[_Opened] = []

        def flush() -> None:
            results.extend(self._load_group(group))
            group.clear()

        for i, path in enumerate(files):
            rel = path.relative_to(self.settings.landing_dir).as_posix()
            if progress:
                progress(rel, i, len(files))
            opened = self._open(path, rel)
            if isinstance(opened, FileLoad):
                flush()
                results.append(opened)
            elif opened.rest is not None:
                flush()
                results.append(self._load_stream(opened))
            else:
                if group and (
                    group[0].state.table.name != opened.state.table.name
                    or sum(g.first.num_rows for g in group) + opened.first.num_rows > CHUNK_ROWS
                ):
                    flush()
                group.append(opened)
        flush()
        for skipped, first in self._in_run_skips:
            done = {
                STATUS_LOADED: "loaded in this run",
                STATUS_REJECTED: "rejected in this run",
                STATUS_CHANGING: "which changed while it was loading; it loads on the next load",
            }.get(first.status, f"{first.status} in this run")
            skipped.messages.append(
                f"{skipped.path}: skipped: the same content (sha256 {skipped.file_hash[:12]})"
                f" as {first.path}, {done}"
            )
        self._in_run_skips.clear()
        return results

    def _open(self, path: Path, rel: str) -> FileLoad | _Opened:
        """Hash, ledger, structure and the first chunk of one file. Returns the
        final FileLoad of a skipped or rejected file."""
        clock = time.perf_counter()
        refusal = symlink_refusal(path, self.settings.landing_dir)
        if refusal is not None:
            return self._refuse(rel, refusal)
        stat = _stat_key(path)
        file_hash = file_sha256(path)
        batch_id = batch_id_for(path, file_hash)
        result = FileLoad(rel, None, batch_id, STATUS_LOADED, file_hash=file_hash)
        place = _place(rel)
        earlier = self._seen.get(file_hash)
        # a rejection blocks the same bytes only at the same place (folder and format)
        if earlier is not None and (earlier[0].status != STATUS_REJECTED or earlier[1] == place):
            result.status = STATUS_SKIPPED
            self._in_run_skips.append((result, earlier[0]))  # worded once the first has loaded
            return result
        prior = self.con.execute(
            "select source_file, status, finished_at, message from raw._load_ledger"
            " where file_hash = ?",
            [file_hash],
        ).fetchall()
        if prior and (prior[0][1] != STATUS_REJECTED or _place(prior[0][0]) == place):
            source, status, finished, message = prior[0]
            result.status = STATUS_SKIPPED
            same = "" if source == rel else f" as {source}"
            note = f": {message}" if status == STATUS_REJECTED and message else ""
            result.messages.append(
                f"{rel}: skipped: the same content (sha256 {file_hash[:12]}) was already"
                f" processed{same} on {finished:%Y-%m-%d %H:%M:%S} UTC with status {status}{note}"
            )
            return result
        self._seen[file_hash] = (result, place)

        started_at = _now()
        try:
            table, fmt = self._resolve(path, rel)
            result.table = table.name
            layout = inspect_file(self.reader, path, fmt, table)
            stream_sql = _stream_sql(layout, table)
            state = _FileState(rel, table, batch_id, file_hash, started_at)
            state.date_window = self.date_window
            chunks = _batches(self.reader, stream_sql)
            with state.timed("read"):
                first = next(chunks, None)
                second = next(chunks, None) if first is not None else None
        except _ReadError as exc:
            return self._reject(path, result, _read_error_reason(exc.__cause__ or exc), started_at)
        except FileRejected as exc:
            return self._reject(path, result, str(exc), started_at)
        result.messages.extend(self._layout_messages(rel, layout, table))
        state.seconds["open"] += time.perf_counter() - clock - state.seconds["read"]
        if first is None:  # no data rows
            first = pa.table({})
        rest = None if second is None else _chain(second, chunks)
        return _Opened(path, result, layout, state, stream_sql, first, rest, stat)

    def _load_stream(self, opened: _Opened) -> FileLoad:
        """A file of more than one chunk: validate and append chunk by chunk."""
        validator = self.validator(opened.state.table)
        assert opened.rest is not None

        def load(con: duckdb.DuckDBPyConnection, insert_sql: str, writer: _Writer) -> None:
            state = opened.state
            _process_chunk(con, opened.first, opened.layout, validator, state, insert_sql, writer)
            source = opened.rest
            assert source is not None
            with closing(_prefetched(source) if PIPELINE else source) as chunks:
                while True:
                    with state.timed("read"):
                        batch = next(chunks, None)
                    if batch is None:
                        break
                    _process_chunk(con, batch, opened.layout, validator, state, insert_sql, writer)

        return self._load_file(opened, load)

    def _load_group(self, group: list[_Opened]) -> list[FileLoad]:
        """Small files of one table: one GX validation for all, then one
        transaction per file."""
        if not group:
            return []
        validator = self.validator(group[0].state.table)
        frames = [
            _gx_frame(g.first, g.layout, validator, salt=((i + 1) * _SALT) % 2**64)
            for i, g in enumerate(group)
            if g.first.num_rows
        ]
        flagged_all: dict[tuple[str, str], np.ndarray] = {}
        clock = time.perf_counter()
        if frames:
            flagged_all = _validate_frame(validator, pa.concat_tables(frames))
        seconds = time.perf_counter() - clock
        total_rows = sum(g.first.num_rows for g in group) or 1
        results = []
        offset = 0
        for g in group:
            n = g.first.num_rows
            g.state.seconds["validate"] += seconds * n / total_rows
            flagged = {}
            for key, positions in flagged_all.items():
                local = positions[(positions >= offset) & (positions < offset + n)] - offset
                if local.size:
                    flagged[key] = local
            offset += n

            def load(
                con: duckdb.DuckDBPyConnection,
                insert_sql: str,
                writer: _Writer,
                g: _Opened = g,
                flagged: dict[tuple[str, str], np.ndarray] = flagged,
            ) -> None:
                _apply_chunk(con, g.first, g.layout, flagged, g.state, insert_sql, writer)

            results.append(self._load_file(g, load))
        return results

    def _load_file(
        self,
        opened: _Opened,
        load: Callable[[duckdb.DuckDBPyConnection, str, _Writer], None],
    ) -> FileLoad:
        """One transaction: the rows (`load`), duplicates across chunks, the
        quarantine CSV, ledger and audit rows; a read error rejects the file."""
        result, layout, state = opened.result, opened.layout, opened.state
        table = state.table
        insert_sql = _insert_sql(layout, table, self.contract.schema)
        target = self.settings.quarantine_dir / table.name / f"{opened.path.name}.rejected.csv"
        tmp_target = target.with_name(target.name + ".tmp")
        con = self.con
        writer = _Writer()
        con.execute("begin transaction")
        try:
            try:
                load(con, insert_sql, writer)
                with state.timed("insert_wait"):
                    writer.close()
                with state.timed("finish"):
                    _cross_chunk_duplicates(con, self.reader, layout, state, opened.stream_sql)
            except _ReadError as exc:
                raise FileRejected(_read_error_reason(exc.__cause__ or exc)) from exc
            changed = _changed(opened.path, opened.stat)
            if changed:
                _abort(con, writer, tmp_target)
                return self._changing(result, changed)
            with state.timed("finish"):
                if state.rows_quarantined:
                    _write_rejected_csv(con, layout, state, tmp_target)
                finished_at = _now()
                self._ledger(
                    result,
                    state.rows_landed,
                    state.rows_loaded,
                    state.rows_quarantined,
                    state.started_at,
                    finished_at,
                    None,
                )
                self._audit_loaded(result, layout, state, finished_at)
                con.execute("commit")
        except FileRejected as exc:
            _abort(con, writer, tmp_target)
            result.messages.clear()
            return self._reject(opened.path, result, str(exc), state.started_at)
        except BaseException:
            _abort(con, writer, tmp_target)
            raise
        if state.rows_quarantined:
            tmp_target.replace(target)
        result.seconds = {k: round(v, 3) for k, v in state.seconds.items()}
        result.seconds["total"] = round(sum(state.seconds.values()), 3)
        result.rows_landed = state.rows_landed
        result.rows_loaded = state.rows_loaded
        result.rows_quarantined = state.rows_quarantined
        result.messages.extend(state.row_messages)
        if state.extra_messages:
            result.messages.append(
                f"{result.path}: ... and {state.extra_messages} more row problems; every one is"
                f" in raw._quarantine and {target}"
            )
        return result

    def _resolve(self, path: Path, rel: str) -> tuple[Table, str]:
        parts = rel.split("/")
        if len(parts) != 2:
            raise FileRejected(
                "not in a table folder: files must be landing/<table>/<file> with <table> one"
                f" of the contract tables ({', '.join(self.contract.names)})"
            )
        try:
            table = self.contract.table(parts[0])
        except KeyError:
            raise FileRejected(
                f"unknown table folder '{parts[0]}': it is not a table of the raw contract"
                f" (known: {', '.join(self.contract.names)})"
            ) from None
        fmt = FORMATS.get(path.suffix.lower())
        if fmt is None:
            raise FileRejected(
                f"unknown file extension '{path.suffix}': expected one of {', '.join(FORMATS)}"
            )
        return table, fmt

    def _layout_messages(self, rel: str, layout: Layout, table: Table) -> list[str]:
        out = []
        if layout.extras:
            out.append(
                f"{rel}: warning: column(s) {', '.join(layout.extras)} are not in the contract of"
                f" table {table.name} and were ignored"
            )
        return out

    def _refuse(self, rel: str, reason: str) -> FileLoad:
        """A file that is not read at all (a symlink out of landing/): no
        hash, no copy, no ledger row (it is refused again on every run)."""
        result = FileLoad(rel, None, None, STATUS_REJECTED)
        result.messages.append(f"{rel}: file refused: {reason}")
        self.con.execute("begin transaction")
        try:
            self._audit(result, STATUS_REJECTED, "file_refused", None, 0, reason)
            self.con.execute("commit")
        except BaseException:
            self.con.execute("rollback")
            raise
        return result

    def _changing(self, result: FileLoad, change: str) -> FileLoad:
        """A file that changed while it loaded: rolled back, not recorded."""
        result.status = STATUS_CHANGING
        result.rows_landed = result.rows_loaded = result.rows_quarantined = 0
        result.messages.clear()
        result.messages.append(
            f"{result.path}: skipped: the file changed while it was loading ({change}); nothing"
            " of it was loaded. It loads whole on the next load once it stops changing (let the"
            " exporter write to a hidden name such as .export.csv.tmp and rename it when done)"
        )
        return result

    def _reject(self, path: Path, result: FileLoad, reason: str, started_at: datetime) -> FileLoad:
        # the landing path below _rejected_files/: same-named files of two folders stay apart
        dest = self.settings.quarantine_dir / REJECTED_FILES_DIR / result.path
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, dest)
        dest.with_name(dest.name + ".reason.txt").write_text(
            f"file: {result.path}\nsha256: {result.file_hash}\nrejected: {reason}\n\n"
            "Nothing of this file was loaded. Fix the file (or the contract), then land the"
            " fixed file again; see docs/loading.md.\n",
            encoding="utf-8",
        )
        result.status = STATUS_REJECTED
        result.rows_landed = result.rows_loaded = result.rows_quarantined = 0
        shown = (
            dest.relative_to(self.settings.quarantine_dir.parent)
            if dest.is_relative_to(self.settings.quarantine_dir.parent)
            else dest
        )
        result.messages.append(f"{result.path}: file rejected: {reason} (copied to {shown})")
        self.con.execute("begin transaction")
        try:
            self._ledger(result, 0, 0, 0, started_at, _now(), reason)
            self._audit(result, STATUS_REJECTED, "file_rejected", None, 0, reason)
            self.con.execute("commit")
        except BaseException:
            self.con.execute("rollback")
            raise
        return result

    def _ledger(
        self,
        result: FileLoad,
        landed: int,
        loaded: int,
        quarantined: int,
        started_at: datetime,
        finished_at: datetime,
        message: str | None,
    ) -> None:
        # the same bytes rejected at another place (folder, format) give way to this attempt
        self.con.execute(
            "delete from raw._load_ledger where file_hash = ? and status = ?",
            [result.file_hash, STATUS_REJECTED],
        )
        self.con.execute(
            "insert into raw._load_ledger values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
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
            ],
        )

    def _audit(
        self,
        result: FileLoad,
        status: str,
        check: str,
        column: str | None,
        count: int,
        detail: str | None,
    ) -> None:
        self.con.execute(
            "insert into raw._load_audit values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                result.file_hash,
                result.batch_id,
                result.path,
                result.table,
                status,
                check,
                column,
                count,
                detail,
                _now(),
            ],
        )

    def _audit_loaded(
        self, result: FileLoad, layout: Layout, state: _FileState, finished_at: datetime
    ) -> None:
        self._audit(result, STATUS_LOADED, "rows_landed", None, state.rows_landed, None)
        self._audit(result, STATUS_LOADED, "rows_loaded", None, state.rows_loaded, None)
        self._audit(result, STATUS_LOADED, "rows_quarantined", None, state.rows_quarantined, None)
        for (kind, column), count in sorted(state.rule_counts.items()):
            self._audit(result, STATUS_LOADED, kind, column, count, None)
        for extra in layout.extras:
            self._audit(result, STATUS_LOADED, "extra_column", extra, 0, "ignored")
        for missing in layout.missing_optional:
            self._audit(result, STATUS_LOADED, "missing_optional_column", missing, 0, "null")


def _changed(path: Path, before: tuple[int, int]) -> str | None:
    """How the file changed since `before` (size, mtime_ns), or None."""
    try:
        size, mtime = _stat_key(path)
    except OSError:
        return "it was removed"
    if size != before[0]:
        return f"{before[0]:,} bytes when hashed, {size:,} bytes after the read"
    if mtime != before[1]:
        return "it was modified during the read"
    return None


class _ReadError(Exception):
    """DuckDB failed while reading the landed file."""


def _batches(con: duckdb.DuckDBPyConnection, sql: str) -> Iterator[pa.Table]:
    """The query's rows in tables of CHUNK_ROWS rows (the last one smaller);
    a DuckDB error while reading becomes _ReadError."""
    try:
        reader = con.sql(sql).to_arrow_reader(CHUNK_ROWS)
    except duckdb.Error as exc:
        raise _ReadError(str(exc)) from exc
    pending: list[pa.RecordBatch] = []
    size = 0
    while True:
        try:
            batch = reader.read_next_batch()
        except StopIteration:
            break
        except (duckdb.Error, pa.ArrowException) as exc:
            raise _ReadError(str(exc)) from exc
        pending.append(batch)
        size += batch.num_rows
        if size >= CHUNK_ROWS:
            yield pa.Table.from_batches(pending)
            pending, size = [], 0
    if pending:
        yield pa.Table.from_batches(pending)


def _prefetched(items: Iterator[pa.Table]) -> Iterator[pa.Table]:
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


def _read_error_reason(exc: BaseException) -> str:
    text = str(exc)
    if "unicode" in text.lower() or "utf-8" in text.lower():
        return f"the file is not UTF-8 encoded ({_first_error_line(exc)}); re-export it as UTF-8"
    return f"unreadable file: {_first_error_line(exc)}"


#: The catalog name the loader gives the warehouse file. DuckDB names a file's
#: catalog after its stem, so a warehouse called raw.duckdb made `raw.<table>`
#: ambiguous (catalog or schema); attached under this name, any file name works.
WAREHOUSE_CATALOG = "crm_warehouse"


def connect_warehouse(path: Path) -> duckdb.DuckDBPyConnection:
    """A read-write connection whose default catalog is the warehouse file,
    attached as WAREHOUSE_CATALOG whatever the file is called."""
    con = duckdb.connect()
    try:
        # spill beside the file, as DuckDB does for a file it opens itself
        configure_duckdb(con, temp_directory=path.with_name(path.name + ".tmp"))
        con.execute(f"attach {_lit(str(path))} as {WAREHOUSE_CATALOG}")
        con.execute(f"use {WAREHOUSE_CATALOG}")
    except BaseException:
        con.close()
        raise
    return con


def load_landing(
    settings: Settings, progress: Callable[[str, int, int], None] | None = None
) -> LoadSummary:
    """Validate and load every landed file into the warehouse's raw schema.

    `progress(description, files_done, files_total)` is called before each file
    and once at the end. Returns what happened to every file; messages hold one
    line per rejection (file, or row and column with the reason)."""
    contract = load_contract()
    files = discover(settings.landing_dir)
    settings.warehouse_path.parent.mkdir(parents=True, exist_ok=True)
    summary = LoadSummary()
    con = connect_warehouse(settings.warehouse_path)
    try:
        ensure_raw_schema(con, contract)
        loader = _Loader(con, settings, contract)
        try:
            summary.files.extend(loader.run(files, progress))
        finally:
            loader.close()
        for result in summary.files:  # the CLI prints them; a log handler may too
            for msg in result.messages:
                logger.info(msg)
        if progress:
            progress("done", len(files), len(files))
    finally:
        con.close()
    return summary
