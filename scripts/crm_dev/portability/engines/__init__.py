"""The engines of the portability check: DuckDB (the reference, where the
data is loaded), PostgreSQL (a throw-away server) and Spark (a local session),
each with how its raw copy is made and how a mart is read back."""

from __future__ import annotations

ENGINES: tuple[str, ...] = ("duckdb", "postgres", "spark")
REFERENCE = "duckdb"
