"""What a refresh serves once the build is green.

- `publish`: the marts-only DuckDB file for BI tools, its Parquet exports and
  the dbt docs site, each swapped in atomically;
- `dashboard`: the KPI page drawn from the published file, one self-contained
  file: its filters and area tabs (`dashboard_page`, the script
  `dashboard_app.js`) computed in the browser from the cubes of
  `dashboard_cubes` with the figures of `dashboard_areas` (formulas in
  `dashboard_figures`), and the charts of the marts as published
  (`dashboard_specs`);
- `runlog`: what every refresh did, in the warehouse's `ops` schema;
- `exposures`: models/exposures.yml, the dbt exposures of those two consumers.
"""
