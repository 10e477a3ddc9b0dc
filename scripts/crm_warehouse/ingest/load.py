"""The validated loader: landing files -> DuckDB schema raw. This module is
the orchestration (`load_landing` and the per-file flow); the steps live in
files, inspection, stream, chunks, quarantine and ledger beside it.

For every file under landing_dir/<table>/ (sorted by path):

1. A file the ledger holds at this path, size and stat stamp is skipped unread;
   else a sha256 of the content already in raw._load_ledger is skipped.
2. Structure: the folder must name a contract table, the extension must be
   .csv, .parquet or .jsonl, the file must be readable UTF-8 with a header (or
   JSON keys) naming every required contract column. A failure rejects the
   whole file: it is copied to quarantine_dir/_rejected_files/<its landing
   path> with a .reason.txt and nothing of it is loaded.
3. Rows: DuckDB streams the file as text in chunks of CHUNK_ROWS rows, with
   typed (try_cast) and numeric companion columns; Great Expectations validates
   each chunk with the suite derived from the contract (crm_warehouse.ingest.validate);
   rows that fail a rule, or that pass the type regex but still do not cast
   (2024-02-30), and CSV / JSON lines lines that cannot be read as a row
   (crm_warehouse.ingest.lines) are quarantined (raw._quarantine and
   quarantine_dir/<table>/<file name>.rejected.csv, formula-like cells
   quoted for spreadsheets). The rest is appended to
   raw.<table> with _batch_id, _source_file, _source_row and _loaded_at.
4. All writes of one file (rows, quarantine, ledger, audit) happen in ONE
   transaction: a crash mid-file leaves nothing of it.

Speed: landing folders load side by side in LANES threads (ingest.lanes); in
a file DuckDB reads the next chunk and appends the previous one in helper
threads while GX validates (PIPELINE); consecutive small files of one table are
validated in one GX call (GX costs ~0.1 s a call whatever its size); the GX
validators of the tables receiving files are built in a helper thread while
the first files are hashed and read (chunks.warm_validators).

rows_landed = rows_loaded + rows_quarantined holds for every file. See
docs/loading.md.
"""

from __future__ import annotations

import logging
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import closing, suppress
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from pathlib import Path

import duckdb
import pyarrow as pa

from crm_warehouse.ingest import lanes
from crm_warehouse.ingest.chunks import (
    SALT,
    Flagged,
    append_chunk,
    check_chunk,
    cross_chunk_duplicates,
    gx_frame,
    open_ends_as_null,
    quarantine_chunk,
    validate_frame,
    validator_for,
    warm_validators,
)
from crm_warehouse.ingest.connection import connect_warehouse, cursor_in
from crm_warehouse.ingest.contract import Contract, Table, load_contract
from crm_warehouse.ingest.copies import Copies
from crm_warehouse.ingest.files import (
    FileStat,
    batch_id_for,
    discover,
    file_change,
    file_sha256,
    file_stat,
    new_tables,
    resolve_table,
    symlink_refusal,
)
from crm_warehouse.ingest.inspection import (
    Layout,
    inspect_file,
    layout_warnings,
    read_error_reason,
)
from crm_warehouse.ingest.ledger import (
    audit_loaded,
    ensure_raw_schema,
    grown_from,
    grown_reason,
    record_file,
    record_refusal,
    record_rejection,
    recorded_stats,
    unchanged_file,
    utc_now,
)
from crm_warehouse.ingest.lines import line_problems, quarantine_lines, renumber_rows
from crm_warehouse.ingest.quarantine import set_aside_file, write_rejected_csv
from crm_warehouse.ingest.results import (
    STATUS_CHANGING,
    STATUS_LOADED,
    STATUS_REJECTED,
    FileLoad,
    FileRejected,
    FileState,
    LoadSummary,
)
from crm_warehouse.ingest.stream import (
    ReadError,
    Writer,
    append_query,
    batches,
    chain,
    prefetched,
    stream_query,
)
from crm_warehouse.ingest.validate import TableValidator
from crm_warehouse.privacy import ensure_pii_salt, make_private
from crm_warehouse.settings import Settings

logger = logging.getLogger(__name__)

#: Rows per validated chunk: memory stays bounded whatever the file size.
CHUNK_ROWS = 250_000
#: Overlap DuckDB's reading and writing with GX's validation in two helper threads.
PIPELINE = True
#: Landing folders loaded at once, each in a thread with its own cursors and
#: transactions (crm_warehouse.ingest.lanes); 1: every file in one lane.
LANES = 2


# --------------------------------------------------------------------------- one chunk


def _process_chunk(
    con: duckdb.DuckDBPyConnection,
    batch: pa.Table,
    layout: Layout,
    validator: TableValidator,
    state: FileState,
    insert_sql: str,
    writer: Writer,
) -> None:
    """Validate one chunk of a streamed file with GX, then apply the result."""
    with state.timed("validate"):
        flagged = validate_frame(validator, gx_frame(batch, layout, validator))
    _apply_chunk(con, batch, layout, flagged, state, insert_sql, writer)


def _apply_chunk(
    con: duckdb.DuckDBPyConnection,
    batch: pa.Table,
    layout: Layout,
    flagged: Flagged,
    state: FileState,
    insert_sql: str,
    writer: Writer,
) -> None:
    """Given GX's failures of one chunk: add the cast failures, quarantine the
    failing rows and append the others (through the writer thread)."""
    start = state.rows_landed
    state.rows_landed += batch.num_rows
    if batch.num_rows == 0:
        return
    flagged = check_chunk(batch, layout, flagged, state, start)
    batch = open_ends_as_null(batch, layout, state)
    bad_positions = quarantine_chunk(con, batch, layout, flagged, state, start, writer)
    append_chunk(con, batch, bad_positions, state, start, insert_sql, writer)


def _abort(con: duckdb.DuckDBPyConnection, writer: Writer, tmp_target: Path) -> None:
    """Undo a file: wait for the writer thread (its error is already being
    handled), roll the transaction back, drop the unfinished quarantine CSV."""
    with suppress(BaseException):
        writer.close()
    con.execute("rollback")
    tmp_target.unlink(missing_ok=True)


# --------------------------------------------------------------------------- driver


@dataclass
class _Opened:
    """A file whose structure passed, with its first chunk read; `rest` is the
    rest of a file longer than one chunk (None for a small file)."""

    path: Path
    result: FileLoad
    layout: Layout
    state: FileState
    stream_sql: str
    first: pa.Table
    rest: Iterator[pa.Table] | None
    #: the stat before the hash: the file must not change until commit
    stat: FileStat
    #: a small file's bad lines, read as its read ended (None: a streamed file's)
    bad_lines: tuple[dict[int, tuple[int, str]], list[int]] | None = None


_Load = Callable[[duckdb.DuckDBPyConnection, str, Writer], None]


class _Loader:
    """Loads files one after another; a lane's (`shared`: the run's first
    loader) on a cursor of its own, sharing the run's record of copies."""

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        settings: Settings,
        contract: Contract,
        shared: _Loader | None = None,
    ):
        catalog = str(con.execute("select current_database()").fetchone()[0])  # type: ignore[index]
        self._own_con = shared is not None
        self.con = cursor_in(con, catalog) if shared is not None else con
        self.reader = cursor_in(con, catalog)
        # large_string buffers: pandas takes them without a copy
        self.reader.execute("set arrow_large_buffer_size = true")
        self.settings = settings
        self.contract = contract
        #: the sane window of dates and timestamps, fixed for the run
        self.date_window = settings.date_window()
        #: the files of this run and earlier ones, by content (shared by the lanes)
        self.copies = shared.copies if shared is not None else Copies()
        #: normalised copies of CSV files with mixed line endings
        self._scratch = tempfile.TemporaryDirectory(prefix="crm-load-")

    def validator(self, table: Table) -> TableValidator:
        return validator_for(table)

    def close(self) -> None:
        self.reader.close()
        if self._own_con:
            self.con.close()
        self._scratch.cleanup()

    # -- driver
    def run(
        self, files: list[Path], progress: Callable[[str, int, int], None] | None
    ) -> list[FileLoad]:
        """Every file, in lanes (crm_warehouse.ingest.lanes) when LANES allows
        and the landing folders can be split, else one after another; the
        results in the files' order. The validators of the tables receiving new
        files are built meanwhile, in the order the files load."""
        recorded = recorded_stats(self.con)
        landing = self.settings.landing_dir
        plan = lanes.plan(files, landing, recorded) if LANES > 1 else None
        order = files if plan is None else [files[i] for task in plan.tasks for i in task]
        warming = warm_validators(new_tables(self.contract, order, landing, recorded))
        try:
            if plan is None:
                results = self.run_files(files, progress)
            else:
                lane = partial(_Loader, self.con, self.settings, self.contract, self)
                results = lanes.run(plan, files, lane, LANES, self, progress)
        finally:
            if warming is not None:
                warming.join()
        self.copies.word_in_run_skips()
        return results

    def run_files(
        self,
        files: list[Path],
        progress: Callable[[str, int, int], None] | None,
        stop: Callable[[], bool] | None = None,
    ) -> list[FileLoad]:
        """`files` one after another, in their order (fewer results when `stop`
        says so before a file). Consecutive small files (one chunk each) of one
        table are validated by GX together, up to CHUNK_ROWS rows, then each is
        loaded in its own transaction; a bigger file streams chunk by chunk."""
        results: list[FileLoad] = []
        group: list[_Opened] = []

        def flush() -> None:
            results.extend(self._load_group(group))
            group.clear()

        for i, path in enumerate(files):
            if stop is not None and stop():
                break
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
        return results

    def _open(self, path: Path, rel: str) -> FileLoad | _Opened:
        """Hash, ledger, structure and the first chunk of one file. Returns the
        final FileLoad of a skipped or rejected file."""
        clock = time.perf_counter()
        refusal = symlink_refusal(path, self.settings.landing_dir)
        if refusal is not None:
            return self._refuse(rel, refusal)
        try:
            stat = file_stat(path)
            unchanged = unchanged_file(self.con, rel, path, stat)
            if unchanged is not None:
                return unchanged
            file_hash = file_sha256(path)
        except FileNotFoundError:  # renamed or removed since the folder was listed
            return self._changing(
                FileLoad(rel, None, None, STATUS_CHANGING), "it was renamed or removed"
            )
        batch_id = batch_id_for(path, file_hash)
        result = FileLoad(rel, None, batch_id, STATUS_LOADED, file_hash=file_hash)
        if self.copies.skipped(self.con, result, rel):
            return result

        started_at = utc_now()
        try:
            table, fmt = resolve_table(self.contract, path, rel)
            result.table = table.name
            grown = grown_from(self.con, rel, path, stat[0])
            if grown is not None:  # rows appended to a loaded file: not loaded twice
                raise FileRejected(grown_reason(*grown, stat[0]))
            layout = inspect_file(self.reader, path, fmt, table, Path(self._scratch.name))
            stream_sql = stream_query(layout, table)
            state = FileState(rel, table, batch_id, file_hash, started_at)
            state.date_window = self.date_window
            state.file_bytes, state.file_stamp = stat.size, stat.stamp
            chunks = batches(self.reader, stream_sql, CHUNK_ROWS)
            with state.timed("read"):
                first = next(chunks, None)
                second = next(chunks, None) if first is not None else None
            # a small file is read whole: its bad lines are read now, not when its
            # group loads, by when the next file's read holds the cursor
            bad_lines = line_problems(self.reader, layout.problems) if second is None else None
        except ReadError as exc:
            reason = read_error_reason(exc.__cause__ or exc)
            return self._failed(path, result, reason, started_at, stat)
        except (FileRejected, OSError) as exc:
            return self._failed(path, result, exc, started_at, stat)
        result.messages.extend(layout_warnings(rel, layout, table))
        state.seconds["open"] += time.perf_counter() - clock - state.seconds["read"]
        if first is None:  # no data rows
            first = pa.table({})
        rest = None if second is None else chain(second, chunks)
        return _Opened(path, result, layout, state, stream_sql, first, rest, stat, bad_lines)

    def _load_stream(self, opened: _Opened) -> FileLoad:
        """A file of more than one chunk: validate and append chunk by chunk."""
        validator = self.validator(opened.state.table)
        assert opened.rest is not None

        def load(con: duckdb.DuckDBPyConnection, insert_sql: str, writer: Writer) -> None:
            state = opened.state
            _process_chunk(con, opened.first, opened.layout, validator, state, insert_sql, writer)
            source = opened.rest
            assert source is not None
            with closing(prefetched(source) if PIPELINE else source) as chunks:
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
            gx_frame(g.first, g.layout, validator, salt=((i + 1) * SALT) % 2**64)
            for i, g in enumerate(group)
            if g.first.num_rows
        ]
        flagged_all: Flagged = {}
        clock = time.perf_counter()
        if frames:
            flagged_all = validate_frame(validator, pa.concat_tables(frames))
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
                writer: Writer,
                g: _Opened = g,
                flagged: Flagged = flagged,
            ) -> None:
                _apply_chunk(con, g.first, g.layout, flagged, g.state, insert_sql, writer)

            results.append(self._load_file(g, load))
        return results

    def _load_file(self, opened: _Opened, load: _Load) -> FileLoad:
        """One transaction: the rows (`load`), duplicates across chunks, the
        quarantine CSV, ledger and audit rows; a read error rejects the file."""
        result, layout, state = opened.result, opened.layout, opened.state
        insert_sql = append_query(layout, state.table, self.contract.schema)
        target = (
            self.settings.quarantine_dir / state.table.name / f"{opened.path.name}.rejected.csv"
        )
        tmp_target = target.with_name(target.name + ".tmp")
        con = self.con
        writer = Writer(PIPELINE)
        con.execute("begin transaction")
        try:
            try:
                load(con, insert_sql, writer)
                with state.timed("insert_wait"):
                    writer.close()
                with state.timed("finish"):
                    bad_lines = opened.bad_lines
                    if bad_lines is None:  # a streamed file, whose read has just ended
                        bad_lines = line_problems(self.reader, layout.problems)
                    cross_chunk_duplicates(
                        con, self.reader, layout, state, opened.stream_sql, CHUNK_ROWS
                    )
                    # after: rows read are numbered as in the file, around the bad lines
                    renumber_rows(con, state, bad_lines[1])
                    quarantine_lines(con, state, bad_lines[0])
            except ReadError as exc:
                raise FileRejected(read_error_reason(exc.__cause__ or exc)) from exc
            changed = file_change(opened.path, opened.stat)
            if changed:
                _abort(con, writer, tmp_target)
                return self._changing(result, changed)
            with state.timed("finish"):
                if state.rows_quarantined:
                    write_rejected_csv(con, layout, state, tmp_target)
                self._record_loaded(result, layout, state)
                con.execute("commit")
        except (FileRejected, OSError) as exc:
            _abort(con, writer, tmp_target)
            result.messages.clear()
            return self._failed(opened.path, result, exc, state.started_at, opened.stat)
        except BaseException:
            _abort(con, writer, tmp_target)
            raise
        if state.rows_quarantined:
            tmp_target.replace(target)
        return self._loaded(result, state, target)

    def _record_loaded(self, result: FileLoad, layout: Layout, state: FileState) -> None:
        """The ledger and audit rows of a loaded file (inside its transaction)."""
        finished_at = utc_now()
        record_file(
            self.con,
            result,
            state.rows_landed,
            state.rows_loaded,
            state.rows_quarantined,
            state.started_at,
            finished_at,
            None,
            state.file_bytes,
            state.file_stamp,
        )
        audit_loaded(self.con, result, layout, state)

    def _loaded(self, result: FileLoad, state: FileState, target: Path) -> FileLoad:
        """`result` of a committed file: its timings, counts and row messages."""
        result.seconds = {k: round(v, 3) for k, v in state.seconds.items()}
        result.seconds["total"] = round(sum(state.seconds.values()), 3)
        result.rows_landed = state.rows_landed
        result.rows_loaded = state.rows_loaded
        result.rows_quarantined = state.rows_quarantined
        result.messages.extend(state.messages())
        result.messages.extend(
            f"{result.path}: {n:,} value(s) of column {column} held an open-end date"
            " (9999-12-31 or 2999-12-31) and loaded as null (no end)"
            for column, n in sorted(state.open_ends.items())
        )
        if state.extra_messages:
            result.messages.append(
                f"{result.path}: ... and {state.extra_messages} more row problems; every one is"
                f" in raw._quarantine and {target}"
            )
        return result

    def _refuse(self, rel: str, reason: str) -> FileLoad:
        """A file that is not read at all (a symlink out of landing/): no
        hash, no copy, no ledger row (it is refused again on every run)."""
        result = FileLoad(rel, None, None, STATUS_REJECTED)
        result.messages.append(f"{rel}: file refused: {reason}")
        record_refusal(self.con, result, reason)
        return result

    def _failed(
        self,
        path: Path,
        result: FileLoad,
        error: str | FileRejected | OSError,
        started_at: datetime,
        stat: FileStat,
    ) -> FileLoad:
        """A file whose checks or read failed: skipped as changing when it changed
        since its stat (an exporter still writing or renaming it: its read fails
        for that), else rejected (an OSError of an unchanged file is raised)."""
        changed = file_change(path, stat)
        if changed:
            return self._changing(result, changed)
        if isinstance(error, OSError):
            raise error
        return self._reject(path, result, str(error), started_at, stat)

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

    def _reject(
        self, path: Path, result: FileLoad, reason: str, started_at: datetime, stat: FileStat
    ) -> FileLoad:
        """A file set aside whole: copied to the quarantine, recorded in the
        ledger so the same bytes at the same place are skipped next time."""
        shown = set_aside_file(self.settings.quarantine_dir, path, result, reason)
        result.status = STATUS_REJECTED
        result.rows_landed = result.rows_loaded = result.rows_quarantined = 0
        result.messages.append(f"{result.path}: file rejected: {reason} (copied to {shown})")
        record_rejection(self.con, result, reason, started_at, stat)
        return result


# --------------------------------------------------------------------------- entry


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
    make_private(settings)  # raw personal data: owner-only before the file exists
    summary = LoadSummary()
    con = connect_warehouse(settings.warehouse_path)
    try:
        ensure_raw_schema(con, contract)
        ensure_pii_salt(con)  # the personal-data hashes' secret, once per warehouse
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
        make_private(settings)  # the warehouse file and the quarantine just written
    return summary
