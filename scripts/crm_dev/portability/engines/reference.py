"""DuckDB, the reference engine: the raw tables the others are seeded from,
and each mart read back with the kind of each of its columns."""

from __future__ import annotations

from typing import Any

from crm_dev.portability.compare import Kind, Mart, Table, canonical, column_kind
from crm_warehouse.settings import sql_identifier


def raw_tables(duck: Any, schema: str = "raw") -> dict[str, list[tuple[str, str]]]:
    """{table: [(column, DuckDB type), ...]} of a DuckDB schema, in column order."""
    tables: dict[str, list[tuple[str, str]]] = {}
    for table, column, dtype in duck.execute(
        "select table_name, column_name, data_type from information_schema.columns "
        "where table_schema = ? order by table_name, ordinal_position",
        [schema],
    ).fetchall():
        tables.setdefault(table, []).append((column, dtype))
    return tables


def read_duckdb(duck: Any, mart: Mart) -> Table:
    cur = duck.execute(f"select * from {sql_identifier(mart.schema)}.{sql_identifier(mart.name)}")
    columns = [d[0] for d in cur.description]
    return Table(columns, [tuple(canonical(v) for v in row) for row in cur.fetchall()])


def duckdb_kinds(duck: Any, mart: Mart) -> dict[str, Kind]:
    return {
        column.lower(): column_kind(dtype)
        for column, dtype in duck.execute(
            "select column_name, data_type from information_schema.columns "
            "where table_schema = ? and table_name = ?",
            [mart.schema, mart.name],
        ).fetchall()
    }
