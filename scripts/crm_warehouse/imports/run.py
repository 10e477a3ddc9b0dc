"""The run of one part: its rows converted to contract text, one per latest_by key.

`run_part` materialises a checked part (`PartPlan`) as a temp table: every
contract column converted to contract text (a value that does not convert is
kept as it was, flagged, and reported so the loader quarantines its row with
the reason), and only the latest row of each latest_by key kept.
`keep_first_part` settles keys that several parts of one entity give.
"""

from __future__ import annotations

import duckdb

from crm_warehouse.imports.build_warnings import EXAMPLES
from crm_warehouse.imports.part_sql import (
    PartPlan,
    cleaned_sql,
    date_formats,
    filtered_sql,
    format_line,
    stages,
    text_sql,
    typed_sql,
)
from crm_warehouse.imports.spec import PartSpec
from crm_warehouse.ingest.contract import Table
from crm_warehouse.settings import sql_identifier


def run_part(
    con: duckdb.DuckDBPyConnection, table: Table, plan: PartPlan, name: str
) -> tuple[int, int, int, list[str]]:
    """Materialise one part as the temp table `name` (contract text columns + __part_row).

    Returns rows read, rows filtered out, rows superseded by latest_by, warnings.
    """
    part = plan.part
    base = cleaned_sql(plan.source, part.null_values)
    rows_read = con.execute(f"select count(*) from ({base})").fetchone()[0]  # type: ignore[index]
    types = _stage(con, table, plan, name)
    rows_kept = con.execute(f"select count(*) from {name}__p").fetchone()[0]  # type: ignore[index]
    conv, bad, typed_of = [], [], {}
    for col_name, spec in part.columns.items():
        col = table.column(col_name)
        x = sql_identifier("c__" + col_name)
        typed = typed_sql(
            x,
            types["c__" + col_name],
            col,
            date_formats(part, spec, col),
            part.timezone,
            spec.numbers,
        )
        typed_of[col_name] = typed
        conv.append(
            f"coalesce({text_sql(typed, col)}, cast({x} as varchar)) as {sql_identifier(col_name)}"
        )
        bad.append(
            f"({x} is not null and ({typed}) is null) as {sql_identifier('bad__' + col_name)}"
        )
    rank = _latest_rank(table, plan, typed_of)
    con.execute(
        f"create or replace temp table {name} as select __row, {rank} as __rank, "
        f"{', '.join(conv + bad)} from {name}__p"
    )
    superseded = con.execute(f"select count(*) from {name} where __rank > 1").fetchone()[0]  # type: ignore[index]
    con.execute(f"delete from {name} where __rank > 1")
    warnings = _value_warnings(con, table, part, name)
    con.execute(f"drop table {name}__p")
    return rows_read, rows_read - rows_kept, superseded, warnings


def _stage(
    con: duckdb.DuckDBPyConnection, table: Table, plan: PartPlan, name: str
) -> dict[str, str]:
    """The temp table `<name>__p`: the part's filtered rows with every column's raw value
    (`c__<column>`) and latest_by's source columns (`k__<i>`, `o__<i>`); its column types."""
    part = plan.part
    staged, _ = stages(con, table, part, filtered_sql(plan), part.columns)
    proj = [sql_identifier("c__" + col) for col in part.columns]
    proj += [
        f"{sql_identifier(ref)} as {sql_identifier(f'k__{i}')}"
        for i, (kind, ref) in enumerate(plan.key_refs)
        if kind == "source"
    ]
    proj += [
        f"{sql_identifier(ref)} as {sql_identifier(f'o__{i}')}"
        for i, (kind, ref) in enumerate(plan.order_refs)
        if kind == "source"
    ]
    con.execute(
        f"create or replace temp table {name}__p as select __row, {', '.join(proj)} from ({staged})"
    )
    return {r[0]: str(r[1]) for r in con.execute(f"describe {name}__p").fetchall()}


def _latest_rank(table: Table, plan: PartPlan, typed_of: dict[str, str]) -> str:
    """The SQL ranking each row among those of its latest_by key (1: the row kept)."""
    part = plan.part
    keys, orders = [], []
    for i, (kind, ref) in enumerate(plan.key_refs):
        keys.append(
            sql_identifier(f"k__{i}")
            if kind == "source"
            else f"cast({sql_identifier('c__' + ref)} as varchar)"
        )
    for i, (kind, ref) in enumerate(plan.order_refs):
        if kind == "source":
            spec = _spec_reading(part, ref)
            if spec is not None and table.column(spec).data_type != "varchar":
                orders.append(f"{typed_of[spec]} desc nulls last")
            else:
                o = sql_identifier(f"o__{i}")
                orders += [
                    f"try_cast(cast({o} as varchar) as double) desc nulls last",
                    f"cast({o} as varchar) desc nulls last",
                ]
        elif table.column(ref).data_type == "varchar":
            # Text ids such as row_number() ones: numbers compare as numbers.
            c = f"cast({sql_identifier('c__' + ref)} as varchar)"
            orders += [
                f"try_cast({c} as double) desc nulls last",
                f"{c} desc nulls last",
            ]
        else:
            orders.append(f"{typed_of[ref]} desc nulls last")
    if not keys:
        return "1"
    return f"row_number() over (partition by {', '.join(keys)} order by {', '.join([*orders, '__row desc'])})"


def _value_warnings(
    con: duckdb.DuckDBPyConnection, table: Table, part: PartSpec, name: str
) -> list[str]:
    """Values that did not convert, in the rows written (not in versions latest_by dropped)."""
    warnings = []
    for col_name, spec in part.columns.items():
        col = table.column(col_name)
        flag = sql_identifier("bad__" + col_name)
        n, examples = con.execute(
            f"select count(*), list(distinct {sql_identifier(col_name)}) filter (where {flag})[1:{EXAMPLES}] "
            f"from {name} where {flag}"
        ).fetchone()  # type: ignore[misc]
        if n:
            what = (
                "a " + col.data_type
                if col.data_type in ("date", "timestamp", "boolean")
                else col.data_type
            )
            fix = (
                f"fix the format on line {format_line(part, spec, col)}"
                if col.data_type in ("date", "timestamp")
                else f"fix the values or the mapping on line {spec.line}"
            )
            warnings.append(
                f"{part.label}.{col_name}: {n:,} value(s) are not {what} "
                f"(e.g. {', '.join(repr(e) for e in examples)}): written as they are, the loader "
                f"will quarantine those rows; {fix}"
            )
    return warnings


def keep_first_part(
    con: duckdb.DuckDBPyConnection, final: str, table: Table, warnings: list[str]
) -> int:
    """When several parts give the same key, keep the rows of the part listed first."""
    pk = sql_identifier(table.primary_key)
    before = con.execute(f"select count(*) from {final}").fetchone()[0]  # type: ignore[index]
    con.execute(
        f"create or replace temp table {final} as select * exclude (__first) from ("
        f"select *, min(__part) over (partition by {pk}) as __first from {final}) "
        f"where __part = __first or {pk} is null"
    )
    removed = int(before - con.execute(f"select count(*) from {final}").fetchone()[0])  # type: ignore[index]
    if removed:
        warnings.append(
            f"{table.name}: {removed:,} row(s) repeat a {table.primary_key} that an earlier part of the "
            "mapping already gives; the earlier part's row is kept (reorder the parts to change that)"
        )
    return removed


def _spec_reading(part: PartSpec, source_col: str) -> str | None:
    """The contract column that takes `source_col` as it is (no map), if any."""
    for name, spec in part.columns.items():
        if spec.kind == "from" and spec.source == source_col and not spec.map:
            return name
    return None
