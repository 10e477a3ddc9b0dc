"""Portability check: the same project builds, passes its tests and yields the
same marts on DuckDB, PostgreSQL and Spark.

    python -m crm_dev.portability            # all three engines
    python -m crm_dev.portability --engines duckdb postgres

Steps:
1. Generate a small demo data set and load it into a scratch DuckDB file with
   the project's own loader (validation, quarantine, audit tables).
2. Start a throw-away PostgreSQL server (Debian's postgresql package, installed
   when missing and run as root) on a free local port, and a local Spark
   session (pyspark, Java 17) with its warehouse under the work folder.
3. Copy every raw.* table from DuckDB into each engine (PostgreSQL: COPY from
   CSV through psycopg2; Spark: Arrow -> DataFrame -> saveAsTable).
4. `dbt build` (seeds, models, unit tests, data tests) on each engine, each
   with its own target path.
5. Read every mart (every model under models/marts/) from each engine and
   compare it with DuckDB's: the same rows (matched on the mart's tested
   primary key), integers and text equal, money equal to the cent, every other
   number (rates, shares, days) equal to 1e-9 (relative above 1).

Exit status 0 when every engine built without an error or a failing test and
every mart matches; 1 otherwise. The comparison logic (canonical values,
tolerances, matching) is plain Python and unit-tested on its own
(tests/python/unit/test_portability_unit.py).

Modules: `compare` (values, tolerances, matching), `engines` (`reference`:
DuckDB; `postgres`; `spark`; `apt`: installing what is missing), `dbt_runs`
(dbt on each engine), `report` (the outcome as text and CSV), `run` (the
check), `__main__` (the command line).
"""
