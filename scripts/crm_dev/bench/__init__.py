"""The benchmark: where a refresh stands against the physical floor and
against what a user would write instead, at one or more scales of the demo data.

    python -m crm_dev.bench --scale 1 --scale 10     # or: make bench

For each scale, on the same machine and in one run, it measures:

- the floor: DuckDB alone reading every landed file once (`read_s`), plus the
  compiled SQL of every model executed directly in one DuckDB connection in
  dependency order (`raw_sql_s`);
- a full refresh of a fresh warehouse: load with validation (`load_s`, of
  which `validate_s` is Great Expectations), `dbt build --full-refresh`
  with the arguments a refresh passes, so without the unit tests, which test
  the code and run in `make test` (`dbt_build_s`, split into models, data
  tests and seeds by node time), and publish (`publish_s`);
- `dbt run --full-refresh` (`dbt_run_s`) against `raw_sql_s`: dbt's overhead;
- an incremental refresh after landing the last export batch (~1 % of the
  rows) on a warehouse refreshed without it (`incremental_s`);
- the peers: pandas and polars computing the core KPIs from the landed files
  (`pandas_s`, `polars_s`), every row of the marts they are compared with,
  checked row for row (crm_dev.bench.peers; a mismatch stops the run);
- the peak resident memory of each step: every step runs in a child process
  of its own (crm_dev.bench.steps), which reports its ru_maxrss.

Modules: `runner` (the run at each scale), `steps` (the measured child
steps), `peers`, `pandas_peer`, `polars_peer` (the peers and their check),
`report` (targets, figures table), `table` (the issue's table, one function
per row), `test_command` (timing `make test`), `__main__` (the command line).

Nothing here is a test: it writes figures (bench/results.json) and a table.
"""
