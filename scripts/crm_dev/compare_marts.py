"""Compare two published marts files table by table (issue #16's "the marts are
identical before and after"): every table of the first must exist in the
second with the same columns and exactly the same rows (a multiset, compared
with `except all` both ways), and the second may hold no other table.

    python -m crm_dev.compare_marts BEFORE/crm_marts.duckdb AFTER/crm_marts.duckdb \
        [--renames renames.yml]

The renames file maps what a change renamed, so a renamed mart or column is
compared with its old self:

    tables: {sales.sales_owner_report: sales.rpt_sales_owner_weekly}
    columns: {sales.kpi_sales_monthly: {leads_created_count: leads_created}}

(`columns` is keyed by the table's new name.) The run log (`ops`) is skipped:
it records when each run happened; so are columns that hold the load time
(`loaded_at`, `--ignore-column` names others), which differ between two
loads of the same files. Exit 0 when every table matches, else 1.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

import duckdb
import yaml

from crm_warehouse.settings import sql_identifier, sql_literal

SKIPPED_SCHEMAS = ("ops",)
#: Columns holding when the loader ran, not what it loaded.
LOAD_TIME_COLUMNS = ("loaded_at",)


@dataclass
class TableDiff:
    table: str
    status: str
    detail: str = ""


def _tables(con: duckdb.DuckDBPyConnection, catalog: str) -> list[str]:
    rows = con.execute(
        "select schema_name || '.' || table_name from duckdb_tables() "
        f"where database_name = {sql_literal(catalog)} order by 1"
    ).fetchall()
    return [r[0] for r in rows if r[0].split(".")[0] not in SKIPPED_SCHEMAS]


def _columns(con: duckdb.DuckDBPyConnection, catalog: str, table: str) -> list[str]:
    schema, name = table.split(".")
    rows = con.execute(
        "select column_name from duckdb_columns() "
        f"where database_name = {sql_literal(catalog)} and schema_name = {sql_literal(schema)} "
        f"and table_name = {sql_literal(name)} order by column_index"
    ).fetchall()
    return [r[0] for r in rows]


def compare(
    before: Path,
    after: Path,
    renames: dict | None = None,
    ignored: tuple[str, ...] = LOAD_TIME_COLUMNS,
) -> list[TableDiff]:
    """One TableDiff per table of either file; columns named in `ignored` are
    left out of the row comparison."""
    renames = renames or {}
    table_renames: dict[str, str] = renames.get("tables") or {}
    column_renames: dict[str, dict[str, str]] = renames.get("columns") or {}
    con = duckdb.connect()
    con.execute(f"attach {sql_literal(str(before))} as b (read_only)")
    con.execute(f"attach {sql_literal(str(after))} as a (read_only)")
    old_tables, new_tables = _tables(con, "b"), set(_tables(con, "a"))
    diffs: list[TableDiff] = []
    for old in old_tables:
        new = table_renames.get(old, old)
        if new not in new_tables:
            diffs.append(TableDiff(old, "missing", f"no table {new} after"))
            continue
        new_tables.discard(new)
        diffs.append(_compare_table(con, old, new, column_renames.get(new) or {}, ignored))
    diffs.extend(TableDiff(t, "added", "not in the first file") for t in sorted(new_tables))
    return diffs


def _compare_table(
    con, old: str, new: str, renamed: dict[str, str], ignored: tuple[str, ...]
) -> TableDiff:
    old_cols = [c for c in _columns(con, "b", old) if renamed.get(c, c) not in ignored]
    new_cols = [c for c in _columns(con, "a", new) if c not in ignored]
    expected = [renamed.get(c, c) for c in old_cols]
    if sorted(expected) != sorted(new_cols):
        gone = sorted(set(expected) - set(new_cols))
        extra = sorted(set(new_cols) - set(expected))
        return TableDiff(new, "columns", f"missing {gone}, unexpected {extra}")
    before = ", ".join(
        f"{sql_identifier(c)} as {sql_identifier(renamed.get(c, c))}" for c in old_cols
    )
    after = ", ".join(sql_identifier(c) for c in expected)
    old_ref = "b." + ".".join(sql_identifier(p) for p in old.split("."))
    new_ref = "a." + ".".join(sql_identifier(p) for p in new.split("."))
    only_before = con.execute(
        f"select count(*) from (select {before} from {old_ref} except all select {after} from {new_ref})"
    ).fetchone()[0]
    only_after = con.execute(
        f"select count(*) from (select {after} from {new_ref} except all select {before} from {old_ref})"
    ).fetchone()[0]
    rows = con.execute(f"select count(*) from {new_ref}").fetchone()[0]
    if only_before or only_after:
        return TableDiff(new, "rows", f"{only_before} row(s) only before, {only_after} only after")
    label = new if new == old else f"{old} -> {new}"
    return TableDiff(label, "same", f"{rows} rows")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("before", type=Path)
    parser.add_argument("after", type=Path)
    parser.add_argument("--renames", type=Path, help="YAML of renamed tables and columns")
    parser.add_argument(
        "--ignore-column",
        action="append",
        default=list(LOAD_TIME_COLUMNS),
        help="a column left out of the comparison (default: loaded_at)",
    )
    args = parser.parse_args(argv)
    renames = yaml.safe_load(args.renames.read_text()) if args.renames else {}
    diffs = compare(args.before, args.after, renames, tuple(args.ignore_column))
    for diff in diffs:
        print(f"{diff.status:8} {diff.table}: {diff.detail}")
    bad = [d for d in diffs if d.status != "same"]
    print(f"{len(diffs) - len(bad)} of {len(diffs)} tables identical")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
