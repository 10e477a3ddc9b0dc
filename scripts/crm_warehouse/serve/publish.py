"""Publish the marts for BI tools: a marts-only DuckDB file and Parquet exports.

After a green build the publisher copies every table of the mart schemas (and
the run log in `ops`) from the warehouse into `<publish_dir>/crm_marts.duckdb`:

- written under a temporary name in DuckDB storage version v1.4.0, so a BI tool
  that bundles DuckDB 1.4 or later can open it, then fsynced and swapped into
  place with one `os.replace`: a reader never sees a half-written file and a
  failed publish (or a failed build, which never reaches this step) leaves the
  previous file untouched;
- no raw, staging, intermediate or reference schema; no text column named like
  personal data (email, phone, first/last/full name) unless it is hashed, and
  a scan of every text value for an email address that fails the publish if it
  finds one;
- one Parquet file per table under `<publish_dir>/parquet/<schema>/<table>.parquet`,
  exported from the new file before the swap and checked row for row;
- `<publish_dir>/manifest.json` lists what was published, with row counts.

A publish holds the warehouse's lock and the publish folder's (crm_warehouse.lock):
a second publish or refresh is refused with a message naming the holder. Its
temporary names carry its pid and a random part, and it first removes what a
killed publish left behind (`.parquet.tmp-*`, `.crm_marts.duckdb.tmp-*`...).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from crm_warehouse.privacy import restrict_published
from crm_warehouse.serve.publish_files import (
    MANIFEST_FILE,
    MARTS_FILE,
    PARQUET_DIR,
    fsync,
    remove,
    remove_db,
    remove_stale_temps,
    token,
)
from crm_warehouse.serve.runlog import SCHEMA as RUN_LOG_SCHEMA
from crm_warehouse.serve.runlog import write_published_run
from crm_warehouse.settings import Settings, configure_duckdb, mart_schemas
from crm_warehouse.settings import sql_identifier as _q
from crm_warehouse.settings import sql_literal as _lit

#: The saved queries' tables (crm_warehouse.semantic.exports), rewritten after
#: every build, so a selective publish always copies them.
METRICS_SCHEMA = "metrics"


def published_schemas(root: Path) -> tuple[str, ...]:
    """Schemas copied to the BI file: the mart folders of the project at `root`
    (its dbt_project.yml), the saved queries' tables (crm_warehouse.semantic) and
    the run log's."""
    return (*mart_schemas(root), METRICS_SCHEMA, RUN_LOG_SCHEMA)


#: Schemas that never leave the warehouse. `reference` holds the seeds: raw-value
#: mapping tables (raw stage name -> stage, raw lead source -> source...) that
#: mean nothing to a BI user; the canonical values they map to are columns of the
#: core dimensions and facts, and amounts are already converted to the reporting
#: currency, so exchange rates are not needed either.
INTERNAL_SCHEMAS: tuple[str, ...] = ("raw", "staging", "intermediate", "reference", "main")

#: DuckDB storage version of the published file: DuckDB 1.4 and every later
#: version read it (a file written in 2.0's default format is not readable by 1.x).
STORAGE_VERSION = "v1.4.0"


#: A text column whose name says it holds a customer's or contact's personal
#: data (email, phone, a person's name) is withheld... Employees' names
#: (rep_name, team_name) are published on purpose: per-rep KPIs are the product.
PII_COLUMN = re.compile(
    r"e_?mail|phone|mobile|(first|last|full|given|family|sur|middle|contact|lead|person"
    r"|customer|subscriber)_?name",
    re.IGNORECASE,
)
#: ...unless its name says it is hashed.
HASHED_COLUMN = re.compile(r"hash|sha\d*|md5|digest", re.IGNORECASE)
#: Any text value containing an email address stops the publish (DuckDB regex, RE2).
EMAIL_PATTERN = r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}"

_TEXT_TYPES = ("VARCHAR", "JSON", "BLOB")

#: zstd at level 1 rather than DuckDB's default 3: the 93 tables of a scale-10
#: publish were written in 7.95 and 8.29 s against 10.17 and 9.67 s, alternated,
#: and came to 522.9 MB against 532.4 (docs/performance.md, "Parquet at zstd
#: level 1"). Any zstd reader reads either level.
PARQUET_OPTIONS = "compression zstd, compression_level 1"

Progress = Callable[[str, int, int], None]


class PublishError(RuntimeError):
    """Publishing failed; the previously published file is untouched."""


@dataclass
class PublishedTable:
    """One table of the BI file."""

    schema: str
    table: str
    rows: int
    columns: list[str]
    parquet: str
    withheld_columns: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return f"{self.schema}.{self.table}"


@dataclass
class PublishResult:
    """What one publish wrote, and how long each part took."""

    marts_file: Path
    parquet_dir: Path
    storage_version: str
    tables: list[PublishedTable]
    seconds: dict[str, float]
    published_at: datetime
    warnings: list[str] = field(default_factory=list)
    #: tables copied from the warehouse (the others kept from the previous file)
    copied: int = 0

    @property
    def rows(self) -> int:
        return sum(t.rows for t in self.tables)

    def to_dict(self) -> dict[str, Any]:
        return {
            "marts_file": self.marts_file.name,
            "parquet_dir": self.parquet_dir.name,
            "storage_version": self.storage_version,
            "duckdb_version": duckdb.__version__,
            "published_at": self.published_at.isoformat(),
            "seconds": {k: round(v, 3) for k, v in self.seconds.items()},
            "tables": [asdict(t) for t in self.tables],
            "warnings": self.warnings,
        }


def is_withheld(column: str, data_type: str) -> bool:
    """True for a text column named like personal data that is not hashed."""
    text = data_type.upper().startswith(_TEXT_TYPES)
    return text and bool(PII_COLUMN.search(column)) and not HASHED_COLUMN.search(column)


def _source_tables(
    con: duckdb.DuckDBPyConnection, catalog: str, schemas: tuple[str, ...]
) -> list[tuple[str, str, str]]:
    """(schema, table, comment) of every table and view in `schemas`."""
    wanted = ", ".join(_lit(s) for s in schemas)
    rows = con.execute(
        f"""
        select schema_name, table_name, coalesce(comment, '') from duckdb_tables()
        where database_name = {_lit(catalog)} and schema_name in ({wanted})
        union all
        select schema_name, view_name, coalesce(comment, '') from duckdb_views()
        where database_name = {_lit(catalog)} and schema_name in ({wanted}) and not internal
        order by 1, 2
        """
    ).fetchall()
    return [(str(s), str(t), str(c)) for s, t, c in rows]


def _all_columns(
    con: duckdb.DuckDBPyConnection, catalog: str
) -> dict[tuple[str, str], list[tuple[str, str, str]]]:
    """{(schema, table): [(column, type, comment)]} of a catalog, in column order
    (one catalog query: duckdb_columns() is slow to call table by table)."""
    rows = con.execute(
        """
        select schema_name, table_name, column_name, data_type, coalesce(comment, '')
        from duckdb_columns()
        where database_name = ?
        order by schema_name, table_name, column_index
        """,
        [catalog],
    ).fetchall()
    out: dict[tuple[str, str], list[tuple[str, str, str]]] = {}
    for schema, table, name, data_type, comment in rows:
        out.setdefault((str(schema), str(table)), []).append(
            (str(name), str(data_type), str(comment))
        )
    return out


def _emails_found(
    con: duckdb.DuckDBPyConnection, relation: str, columns: Iterable[str]
) -> list[str]:
    """Text columns of `relation` holding at least one value that contains an email address.

    Two passes: which columns hold an '@' at all (a substring test, cheap),
    then the email regex on those only; every address has an '@', so the
    answer is the regex's over every column. At scale 10 the regex over every
    text value took 17 of a publish's 87 s on a busy machine, `dq_raw_rows`
    9 of them (docs/performance.md).
    """
    pattern = _lit(EMAIL_PATTERN)
    cols = _columns_with(con, relation, list(columns), lambda v: f"contains({v}, '@')")
    return _columns_with(con, relation, cols, lambda v: f"regexp_matches({v}, {pattern})")


def _columns_with(
    con: duckdb.DuckDBPyConnection,
    relation: str,
    cols: list[str],
    predicate: Callable[[str], str],
) -> list[str]:
    """The columns of `cols` with at least one value (cast to text) for which
    `predicate(value)` (SQL) holds, in one scan."""
    if not cols:
        return []
    checks = ", ".join(
        f"count(*) filter (where {predicate(f'cast({_q(c)} as varchar)')})" for c in cols
    )
    counts = con.execute(f"select {checks} from {relation}").fetchone() or ()
    return [c for c, n in zip(cols, counts, strict=True) if n]


def _count(con: duckdb.DuckDBPyConnection, relation: str) -> int:
    row = con.execute(f"select count(*) from {relation}").fetchone()
    return int(row[0]) if row else 0


def publish(
    settings: Settings,
    run_report: Any | None = None,
    progress: Progress | None = None,
    changed: set[str] | None = None,
) -> PublishResult:
    """Copy the marts from the settings' warehouse into the BI file and Parquet exports.

    `changed` ('schema.table' a build wrote): start from the published file and
    Parquet folder and copy only those tables, the run log and tables the
    previous file lacks (serve.publish_delta); None copies every table.

    `run_report` (a pipeline.RunReport) adds the current run, as far as it got,
    to the published run log. Raises PublishError, leaving any previously
    published file, Parquet folder and manifest as they were, and
    lock.LockBusy, changing nothing, when another refresh or publish holds the
    warehouse's or the publish folder's lock.
    """
    from crm_warehouse.lock import publish_lock

    with publish_lock(settings.warehouse_path, settings.publish_dir):
        return _publish(settings, run_report, progress, changed)


@dataclass(frozen=True)
class _Files:
    """Where one publish writes: the final names and its own temporary ones."""

    out_dir: Path
    token: str

    @property
    def final(self) -> Path:
        return self.out_dir / MARTS_FILE

    @property
    def tmp(self) -> Path:
        return self.out_dir / f".{MARTS_FILE}.tmp-{self.token}"

    @property
    def parquet_final(self) -> Path:
        return self.out_dir / PARQUET_DIR

    @property
    def parquet_tmp(self) -> Path:
        return self.out_dir / f".{PARQUET_DIR}.tmp-{self.token}"

    def discard(self) -> None:
        """Remove this publish's new file and Parquet folder (the previous ones stay)."""
        remove_db(self.tmp)
        remove(self.parquet_tmp)


def _stale_warnings(stale: list[Path]) -> list[str]:
    """The publish's warnings, starting with what a killed publish left behind."""
    if not stale:
        return []
    return ["removed what an interrupted publish left behind: " + ", ".join(p.name for p in stale)]


def _publish(
    settings: Settings,
    run_report: Any | None,
    progress: Progress | None,
    changed: set[str] | None = None,
) -> PublishResult:
    from crm_warehouse.serve import publish_delta

    warehouse = settings.warehouse_path
    if not warehouse.is_file():
        raise PublishError(f"no warehouse at {warehouse}: run `crm-warehouse refresh` first")
    out_dir = settings.publish_dir
    out_dir.mkdir(parents=True, exist_ok=True)
    stale = remove_stale_temps(out_dir)
    files = _Files(out_dir, token())
    seconds: dict[str, float] = {}
    warnings = _stale_warnings(stale)
    t0 = time.perf_counter()
    args = (files.final, files.tmp, files.parquet_final, files.parquet_tmp)
    if changed is not None and not publish_delta.start_from_previous(*args, changed):
        changed = None
    con = duckdb.connect()
    con.execute("set enable_progress_bar = false")
    configure_duckdb(con, out_dir / f".spill-{files.token}")
    try:
        con.execute(f"attach {_lit(str(warehouse))} as wh (read_only)")
        con.execute(
            f"attach {_lit(str(files.tmp))} as pub (storage_version {_lit(STORAGE_VERSION)})"
        )
        tables, pub_columns, copied = _copy_marts(
            con, settings, run_report, progress, warnings, changed
        )
        seconds["copy"] = time.perf_counter() - t0
        t1 = time.perf_counter()
        new = [t for t in tables if changed is None or t.name in copied]
        _refuse_emails(con, new, pub_columns)
        seconds["pii_scan"] = time.perf_counter() - t1
        t2 = time.perf_counter()
        _export_parquet(con, new, files.parquet_tmp)
        publish_delta.prune_parquet(files.parquet_tmp, {t.name for t in tables})
        restrict_published(files.parquet_tmp)
        seconds["parquet"] = time.perf_counter() - t2
        t3 = time.perf_counter()
        con.execute("checkpoint pub")
        con.execute("detach pub")
        con.execute("detach wh")
    except PublishError:
        con.close()
        files.discard()
        raise
    except duckdb.Error as exc:
        con.close()
        files.discard()
        raise PublishError(
            f"{type(exc).__name__}: {exc} (the previous {files.final.name} is untouched)"
        ) from exc
    finally:
        con.close()

    _swap_in(files)
    seconds["swap"] = time.perf_counter() - t3
    seconds["total"] = time.perf_counter() - t0

    result = PublishResult(
        marts_file=files.final,
        parquet_dir=files.parquet_final,
        storage_version=STORAGE_VERSION,
        tables=tables,
        seconds=seconds,
        published_at=datetime.now(UTC),
        warnings=warnings,
        copied=len(copied),
    )
    _write_manifest(files, result, run_report)
    restrict_published(out_dir)
    if progress:
        progress("publish", len(tables), len(tables))
    return result


Columns = dict[tuple[str, str], list[tuple[str, str, str]]]


def _copy_marts(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    run_report: Any | None,
    progress: Progress | None,
    warnings: list[str],
    changed: set[str] | None = None,
) -> tuple[list[PublishedTable], Columns, set[str]]:
    """Copy every table of the published schemas from `wh` into `pub` (only
    those `changed` lists, see publish_delta.tables_to_copy, when `pub` is a
    copy of the previous file), without the withheld columns, with their
    comments, and the run so far into the run log. Returns the tables of
    `pub`, its columns and the names of the tables copied."""
    from crm_warehouse.serve import publish_delta

    schemas = published_schemas(settings.root)
    sources = all_sources = _source_tables(con, "wh", schemas)
    if not [s for s in sources if s[0] != RUN_LOG_SCHEMA]:
        # an empty file in place of the last good publish would be a BI file
        # that answers every question with nothing: refuse, keep the old one
        raise PublishError(
            f"the warehouse {settings.warehouse_path} has no table in the mart schemas "
            f"({', '.join(schemas[:-1])}): nothing published (the previous file, if any, is "
            "untouched); run `crm-warehouse refresh` to build the marts first"
        )
    wh_columns = _all_columns(con, "wh")
    withheld: dict[str, list[str]] = {}
    # One transaction for the whole copy: the many catalog writes (tables,
    # comments) are written to the new file once, not statement by statement.
    con.execute("begin transaction")
    if changed is not None:
        before = {(s, t) for s, t, _ in _source_tables(con, "pub", schemas)}
        sources = publish_delta.tables_to_copy(
            sources, before, changed, (RUN_LOG_SCHEMA, METRICS_SCHEMA)
        )
        for schema, table in publish_delta.gone_tables(all_sources, before) + [
            (s, t) for s, t, _ in sources if (s, t) in before
        ]:
            con.execute(f"drop table pub.{_q(schema)}.{_q(table)}")
        # The dropped tables' blocks are free for the copies below only once
        # the drops are committed and checkpointed; in one transaction with
        # them the copies grew the file by their whole size (twice the marts'
        # size after a batch that changed most tables: docs/performance.md).
        con.execute("commit")
        con.execute("checkpoint pub")
        con.execute("begin transaction")
    for schema, table, _ in all_sources:
        cols = wh_columns.get((schema, table), [])
        withheld[f"{schema}.{table}"] = [n for n, t, _ in cols if is_withheld(n, t)]
    for i, (schema, table, comment) in enumerate(sources, start=1):
        if progress:
            progress("publish", i - 1, len(sources))
        _copy_table(con, schema, table, comment, wh_columns.get((schema, table), []))
    con.execute("commit")
    if run_report is not None:
        write_published_run(con, "pub", run_report, datetime.now(UTC))
    pub_columns = _all_columns(con, "pub")
    tables = [
        PublishedTable(
            schema=schema,
            table=table,
            rows=_count(con, f"pub.{_q(schema)}.{_q(table)}"),
            columns=[n for n, _, _ in pub_columns.get((schema, table), [])],
            parquet=f"{PARQUET_DIR}/{schema}/{table}.parquet",
            withheld_columns=withheld.get(f"{schema}.{table}", []),
        )
        for schema, table, _ in _source_tables(con, "pub", schemas)
    ]
    copied = {f"{s}.{t}" for s, t, _ in sources}  # and the run log, written here
    return tables, pub_columns, copied | {t.name for t in tables if t.schema == RUN_LOG_SCHEMA}


def _copy_table(
    con: duckdb.DuckDBPyConnection,
    schema: str,
    table: str,
    comment: str,
    columns: list[tuple[str, str, str]],
) -> None:
    """`wh.<schema>.<table>` into `pub` without its withheld columns (nothing
    when every column is withheld), with the table's and columns' comments."""
    kept = [(n, t, c) for n, t, c in columns if not is_withheld(n, t)]
    if not kept:
        return
    con.execute(f"create schema if not exists pub.{_q(schema)}")
    target = f"pub.{_q(schema)}.{_q(table)}"
    select = ", ".join(_q(n) for n, _, _ in kept)
    con.execute(f"create table {target} as select {select} from wh.{_q(schema)}.{_q(table)}")
    if comment:
        con.execute(f"comment on table {target} is {_lit(comment)}")
    for name, _, col_comment in kept:
        if col_comment:
            con.execute(f"comment on column {target}.{_q(name)} is {_lit(col_comment)}")


def _refuse_emails(
    con: duckdb.DuckDBPyConnection, tables: list[PublishedTable], columns: Columns
) -> None:
    """Raise PublishError when a text value of a published table holds an email address."""
    leaks: list[str] = []
    for t in tables:
        text_cols = [
            n
            for n, typ, _ in columns.get((t.schema, t.table), [])
            if typ.upper().startswith(_TEXT_TYPES) or typ.upper().endswith("[]")
        ]
        leaks += [
            f"{t.name}.{c}"
            for c in _emails_found(con, f"pub.{_q(t.schema)}.{_q(t.table)}", text_cols)
        ]
    if leaks:
        raise PublishError(
            "email addresses found in "
            + ", ".join(leaks)
            + ": drop or hash those columns in the marts (personal data is never published)"
        )


def _export_parquet(
    con: duckdb.DuckDBPyConnection, tables: list[PublishedTable], folder: Path
) -> None:
    """One Parquet file per table of `pub` under `folder`, checked row for row
    (a link to the previous file of the table is replaced, never written into)."""
    folder.mkdir(parents=True, exist_ok=True)
    for t in tables:
        path = folder / t.schema / f"{t.table}.parquet"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.unlink(missing_ok=True)
        con.execute(
            f"copy pub.{_q(t.schema)}.{_q(t.table)} to {_lit(str(path))} "
            f"(format parquet, {PARQUET_OPTIONS})"
        )
        got = _count(con, f"read_parquet({_lit(str(path))})")
        if got != t.rows:
            raise PublishError(f"{path} has {got} rows, {t.name} has {t.rows}")


def _swap_in(files: _Files) -> None:
    """The new file and Parquet folder take the place of the previous ones: the
    file fsynced and renamed in one `os.replace`, then the folder."""
    tmp, final = files.tmp, files.final
    if Path(f"{tmp}.wal").exists():
        files.discard()
        raise PublishError(f"{tmp} still has a write-ahead log after checkpoint; not published")
    fsync(tmp)
    try:
        os.replace(tmp, final)
    except OSError as exc:  # e.g. Windows, where a reader holding the file blocks it
        files.discard()
        raise PublishError(
            f"cannot replace {final} ({exc}); close the tools that have it open "
            "and publish again (the previous file is untouched)"
        ) from exc
    fsync(files.out_dir)
    old = files.out_dir / f".{PARQUET_DIR}.old-{files.token}"
    if files.parquet_final.exists():
        os.replace(files.parquet_final, old)
    os.replace(files.parquet_tmp, files.parquet_final)
    remove(old)


def _write_manifest(files: _Files, result: PublishResult, run_report: Any | None) -> None:
    """`manifest.json`: what was published, with row counts (and the run's id)."""
    manifest = files.out_dir / MANIFEST_FILE
    manifest_tmp = files.out_dir / f".{MANIFEST_FILE}.tmp-{files.token}"
    data = result.to_dict()
    if run_report is not None:
        data["run_id"] = getattr(run_report, "run_id", None)
    manifest_tmp.write_text(json.dumps(data, indent=2, default=str) + "\n")
    os.replace(manifest_tmp, manifest)


DOCS_DIR = "docs"


def publish_docs(settings: Settings, manifest: Any = None) -> Path:
    """`dbt docs generate --static --no-compile` and copy the site beside the dashboard, as
    `<publish_dir>/docs/index.html` (one self-contained page that opens from
    disk) with the manifest and catalog beside it. Returns the index path.
    Holds the same locks as `publish`. `manifest`: the Manifest the build ran
    on (crm_warehouse.build.DbtResult.manifest); dbt then does not parse again
    (about 1 s of an import, docs/performance.md)."""
    from crm_warehouse.lock import publish_lock

    with publish_lock(settings.warehouse_path, settings.publish_dir):
        return _publish_docs(settings, manifest)


def _publish_docs(settings: Settings, manifest: Any = None) -> Path:
    from crm_warehouse.build import run_dbt, target_path

    # --no-compile: the build just compiled everything; compiling again for the
    # docs' "compiled code" tab costs more than the whole publish.
    result = run_dbt(settings, ["docs", "generate", "--static", "--no-compile"], manifest=manifest)
    target = target_path(settings)
    static = target / "static_index.html"
    if not result.success or not static.is_file():
        raise PublishError(
            f"dbt docs generate failed: {result.error or 'no static_index.html in ' + str(target)}"
        )
    out_dir = settings.publish_dir
    out_dir.mkdir(parents=True, exist_ok=True)
    suffix = token()
    tmp = out_dir / f".{DOCS_DIR}.tmp-{suffix}"
    tmp.mkdir()
    shutil.copy2(static, tmp / "index.html")
    for name in ("manifest.json", "catalog.json", "sources.json"):
        if (target / name).is_file():
            shutil.copy2(target / name, tmp / name)
    restrict_published(tmp)
    final = out_dir / DOCS_DIR
    old = out_dir / f".{DOCS_DIR}.old-{suffix}"
    if final.exists():
        os.replace(final, old)
    os.replace(tmp, final)
    remove(old)
    return final / "index.html"
