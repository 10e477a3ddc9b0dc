"""The loader's DuckDB connections: the warehouse file under a fixed catalog
name, and cursors of it for the loader's readers and lanes."""

from __future__ import annotations

from pathlib import Path

import duckdb

from crm_warehouse.settings import configure_duckdb, sql_identifier, sql_literal

#: The catalog name the loader gives the warehouse file. DuckDB names a file's
#: catalog after its stem, so a warehouse called raw.duckdb made `raw.<table>`
#: ambiguous (catalog or schema); attached under this name, any file name works.
WAREHOUSE_CATALOG = "crm_warehouse"

#: DuckDB checkpoints after each of the loader's commits (its own default waits
#: for 16 MB of write-ahead log). A file's rows are then checkpointed by the
#: lane that committed them while the other lane loads, not all at once when
#: the load ends: at scale 10 that last checkpoint took 4.3 s with both lanes
#: done, and the load took 36-38 s instead of 40-44 s, with a file 15 %
#: smaller (docs/performance.md, "A checkpoint after every file").
CHECKPOINT_THRESHOLD = "0B"

#: No vacuuming at the loader's checkpoints, as in dbt's (profiles/profiles.yml:
#: max_vacuum_tasks). The raw tables only grow; the rows deleted in a
#: warehouse are dbt's incremental merges', which crm_warehouse.compact
#: rewrites after a green build. With DuckDB's default (100 tasks per
#: checkpoint) a load into a built scale-10 warehouse compacted dbt's tables
#: instead: six small files took 7.2-8.9 s, 2.9-3.3 s without.
MAX_VACUUM_TASKS = 0


def connect_warehouse(path: Path) -> duckdb.DuckDBPyConnection:
    """A read-write connection whose default catalog is the warehouse file,
    attached as WAREHOUSE_CATALOG whatever the file is called."""
    con = duckdb.connect()
    try:
        # spill beside the file, as DuckDB does for a file it opens itself
        configure_duckdb(con, temp_directory=path.with_name(path.name + ".tmp"))
        con.execute(f"set checkpoint_threshold = {sql_literal(CHECKPOINT_THRESHOLD)}")
        con.execute(f"set max_vacuum_tasks = {MAX_VACUUM_TASKS:d}")
        con.execute(f"attach {sql_literal(str(path))} as {WAREHOUSE_CATALOG}")
        con.execute(f"use {WAREHOUSE_CATALOG}")
    except BaseException:
        con.close()
        raise
    return con


def cursor_in(con: duckdb.DuckDBPyConnection, catalog: str) -> duckdb.DuckDBPyConnection:
    """A cursor of `con` in the warehouse's catalog (a cursor starts in its own), in UTC."""
    cursor = con.cursor()
    cursor.execute(f"use {sql_identifier(catalog)}")
    cursor.execute("set TimeZone = 'UTC'")
    return cursor
