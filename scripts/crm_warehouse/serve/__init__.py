"""What a refresh serves once the build is green.

- `publish`: the marts-only DuckDB file for BI tools, its Parquet exports and
  the dbt docs site, each swapped in atomically;
- `dashboard` (with the cards and charts it draws in `dashboard_specs`): the
  static KPI page drawn from the published file;
- `runlog`: what every refresh did, in the warehouse's `ops` schema;
- `exposures`: models/exposures.yml, the dbt exposures of those two consumers.
"""
