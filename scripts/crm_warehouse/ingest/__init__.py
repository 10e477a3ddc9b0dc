"""Ingest: landed files into the warehouse's raw schema, checked against the raw contract.

contract (the raw contract read from the dbt source YAML), validate (the Great
Expectations suites derived from it) and the loader split by job: files (which
landed files, their identity), inspection (a file's structure), stream (reading
chunks, writing in the background), chunks (one chunk's checks and verdict),
quarantine (rejected rows and files), ledger (the loader's own raw tables),
results (what a load reports) and load (the orchestration, `load_landing`).
"""
