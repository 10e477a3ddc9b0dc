"""crm_dev.compare_marts: the before/after check of a refactoring finds a changed
row, a missing table and a renamed column, and accepts a declared rename."""

from __future__ import annotations

from pathlib import Path

import duckdb

from crm_dev.compare_marts import compare


def _marts(path: Path, sql: str) -> Path:
    con = duckdb.connect(str(path))
    con.execute("create schema sales")
    con.execute(sql)
    con.close()
    return path


def test_identical_files_match(tmp_path):
    sql = "create table sales.kpi_x as select * from (values (1, 2.50), (1, 2.50)) t(a, b)"
    before = _marts(tmp_path / "b.duckdb", sql)
    after = _marts(tmp_path / "a.duckdb", sql)
    assert [(d.status, d.detail) for d in compare(before, after)] == [("same", "2 rows")]


def test_a_duplicate_row_lost_is_a_difference(tmp_path):
    before = _marts(
        tmp_path / "b.duckdb",
        "create table sales.kpi_x as select * from (values (1, 2.50), (1, 2.50)) t(a, b)",
    )
    after = _marts(
        tmp_path / "a.duckdb",
        "create table sales.kpi_x as select * from (values (1, 2.50)) t(a, b)",
    )
    [diff] = compare(before, after)
    assert (diff.status, diff.detail) == ("rows", "1 row(s) only before, 0 only after")


def test_renames_are_followed_and_undeclared_ones_reported(tmp_path):
    before = _marts(
        tmp_path / "b.duckdb",
        "create table sales.sales_report as select * from (values (1, 2)) t(leads_count, b)",
    )
    after = _marts(
        tmp_path / "a.duckdb",
        "create table sales.rpt_sales as select * from (values (1, 2)) t(leads, b)",
    )
    undeclared = {(d.table, d.status) for d in compare(before, after)}
    assert undeclared == {("sales.sales_report", "missing"), ("sales.rpt_sales", "added")}
    renames = {
        "tables": {"sales.sales_report": "sales.rpt_sales"},
        "columns": {"sales.rpt_sales": {"leads_count": "leads"}},
    }
    [diff] = compare(before, after, renames)
    assert diff.status == "same"
    [diff] = compare(before, after, {"tables": renames["tables"]})
    assert (diff.status, diff.detail) == (
        "columns",
        "missing ['leads_count'], unexpected ['leads']",
    )


def test_the_load_time_is_left_out(tmp_path):
    before = _marts(
        tmp_path / "b.duckdb",
        "create table sales.fct_x as select 1 as a, timestamp '2026-12-04 10:00' as loaded_at",
    )
    after = _marts(
        tmp_path / "a.duckdb",
        "create table sales.fct_x as select 1 as a, timestamp '2026-12-05 09:00' as loaded_at",
    )
    assert compare(before, after)[0].status == "same"
    assert compare(before, after, ignored=())[0].status == "rows"
