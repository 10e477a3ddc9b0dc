"""The demo-data generator's parts.

- `config`: window, export batches, volumes and the rates of injected mess
  (docs/demo_data.md documents every constant);
- `vocab`: word lists (names, companies, spellings of free-text values);
- `timeline`: time sampling and exchange rates;
- `text`: keys, picks from word lists and the variants of free text;
- `sim`: the business simulation, one module per domain, each registering the
  builders of its contract tables (`sim.registry`); `sim.story` runs it;
- `render`: record versions per export batch, exact copies, malformed rows,
  text formatting and writing of CSV / JSON lines / Parquet files;
- `stats`: the exact counts of the generation report, computed with DuckDB.

`crm_warehouse.generate.generate` is the entry point.
"""
