"""Compaction (crm_warehouse.compact): a table an incremental build filled
with deleted rows is rewritten without them, keeping its rows, comments and
the views on it; the others are left alone."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from crm_warehouse.compact import DEFAULT_DELETED_SHARE, compact, deleted_share, table_rows

ROWS = 150_000


def _merge(con: duckdb.DuckDBPyConnection, table: str, remainder: int) -> None:
    """What an incremental model's merge does: delete the rows of a tenth of
    the keys, scattered over the whole table, and insert them again."""
    con.execute(f"delete from {table} where id % 10 = {remainder}")
    con.execute(
        f"insert into {table} (id, label, grp) select i, md5(i::varchar), i % 7"
        f" from range({ROWS}) as r (i) where i % 10 = {remainder}"
    )
    con.execute("checkpoint")


@pytest.fixture
def warehouse(tmp_path: Path) -> Path:
    """A DuckDB file (without vacuuming, as the profile builds) with:
    staging.churned: three merges (45,000 deleted rows of 195,000 stored, 23 %),
    commented, a view on it; staging.touched: one merge (15,000 of 165,000,
    9 %); staging.keyed: a primary key, three merges; staging.generated: a
    generated column (DuckDB refuses the rewrite), three merges."""
    path = tmp_path / "wh.duckdb"
    con = duckdb.connect(str(path), config={"max_vacuum_tasks": 0})
    con.execute("create schema staging")
    rows = f"select i as id, md5(i::varchar) as label, i % 7 as grp from range({ROWS}) as r (i)"
    con.execute(f"create table staging.churned as {rows}")
    con.execute("comment on table staging.churned is 'the churned table'")
    con.execute("comment on column staging.churned.label is 'a label'")
    con.execute("create view staging.churned_grp_1 as select * from staging.churned where grp = 1")
    con.execute(f"create table staging.touched as {rows}")
    con.execute("create table staging.keyed (id bigint primary key, label varchar, grp bigint)")
    con.execute(f"insert into staging.keyed {rows}")
    con.execute(
        "create table staging.generated"
        " (id bigint, label varchar, grp bigint, twice bigint generated always as (id * 2))"
    )
    con.execute(f"insert into staging.generated (id, label, grp) {rows}")
    con.execute("checkpoint")
    for remainder in range(3):
        _merge(con, "staging.churned", remainder)
        _merge(con, "staging.keyed", remainder)
        _merge(con, "staging.generated", remainder)
    _merge(con, "staging.touched", 0)
    con.close()
    return path


def _stored(path: Path) -> dict[str, tuple[int, int]]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return {t.name: (t.stored, t.live) for t in table_rows(con, 1)}
    finally:
        con.close()


def _content(path: Path, table: str) -> list[tuple]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(f"select * from {table} order by all").fetchall()
    finally:
        con.close()


def test_a_table_past_the_share_is_rewritten_with_its_rows_comments_and_views(
    warehouse: Path,
) -> None:
    before = _stored(warehouse)
    # keyed tables are never candidates (appending a copy would break the key)
    assert set(before) == {"staging.churned", "staging.touched", "staging.generated"}
    assert before["staging.churned"] == (int(ROWS * 1.3), ROWS)
    assert before["staging.touched"] == (int(ROWS * 1.1), ROWS)
    rows_before = _content(warehouse, "staging.churned")

    result = compact(warehouse, share=0.2, min_stored=100_000)

    assert [t.name for t in result.rewritten] == ["staging.churned"]
    assert result.rewritten[0].deleted == int(ROWS * 0.3)
    assert result.deleted_left == int(ROWS * 0.1) + int(ROWS * 0.3)  # touched, generated
    after = _stored(warehouse)
    assert after["staging.churned"] == (ROWS, ROWS)
    assert after["staging.touched"] == before["staging.touched"]
    assert _content(warehouse, "staging.churned") == rows_before
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        comments = con.execute(
            "select comment from duckdb_tables() where table_name = 'churned'"
            " union all select comment from duckdb_columns()"
            " where table_name = 'churned' and column_name = 'label'"
        ).fetchall()
        assert comments == [("the churned table",), ("a label",)]
        (viewed,) = con.execute("select count(*) from staging.churned_grp_1").fetchone()
        assert viewed == sum(1 for row in rows_before if row[2] == 1)
    finally:
        con.close()


def test_a_table_duckdb_cannot_rewrite_is_named_and_keeps_its_rows(warehouse: Path) -> None:
    rows_before = _content(warehouse, "staging.generated")

    result = compact(warehouse, share=0.2, min_stored=100_000)

    assert list(result.failed) == ["staging.generated"]
    assert "Error" in result.failed["staging.generated"]
    assert result.to_dict()["not_rewritten"] == result.failed
    assert _content(warehouse, "staging.generated") == rows_before


def test_small_tables_are_left_alone(warehouse: Path) -> None:
    before = _stored(warehouse)
    result = compact(warehouse, share=0.2, min_stored=ROWS * 2)
    assert result.rewritten == [] and result.failed == {} and result.deleted_left == 0
    assert _stored(warehouse) == before


def test_off_rewrites_nothing(warehouse: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CRM_COMPACT_DELETED_SHARE", "off")
    before = _stored(warehouse)
    result = compact(warehouse, min_stored=100_000)
    assert result.share is None and result.rewritten == []
    assert _stored(warehouse) == before


@pytest.mark.parametrize(
    ("value", "share"),
    [("", DEFAULT_DELETED_SHARE), ("0.35", 0.35), ("1", 1.0), ("off", None), (" OFF ", None)],
)
def test_the_share_comes_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, value: str, share: float | None
) -> None:
    monkeypatch.setenv("CRM_COMPACT_DELETED_SHARE", value)
    assert deleted_share() == share


@pytest.mark.parametrize("value", ["0", "-0.1", "1.5", "a fifth"])
def test_a_share_out_of_range_is_refused_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("CRM_COMPACT_DELETED_SHARE", value)
    with pytest.raises(ValueError, match="CRM_COMPACT_DELETED_SHARE"):
        deleted_share()


def test_crm_warehouse_build_compacts_after_a_green_build(
    warehouse: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from crm_warehouse.build import DbtResult
    from crm_warehouse.cli import app

    monkeypatch.setenv("CRM_COMPACT_DELETED_SHARE", "0.2")  # churned: 23 % of its rows
    monkeypatch.setattr(
        "crm_warehouse.build.dbt_build",
        lambda settings, **kwargs: DbtResult(command=["dbt", "build"], success=True),
    )
    result = CliRunner().invoke(app, ["build", "--warehouse", str(warehouse)])

    assert result.exit_code == 0, result.output
    assert "compact: " in result.output and "staging.churned" in result.output
    assert "not_rewritten" in result.output  # staging.generated, named
    assert _stored(warehouse)["staging.churned"] == (ROWS, ROWS)
