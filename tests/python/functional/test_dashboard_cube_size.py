"""A cube too large for the page loses its filter dimensions of most members
until it fits (crm_warehouse.serve.dashboard_cubes.fitted_cube): at scale 100
the opportunities cube had 1.4 M rows and the page 143 MB. Real DuckDB, a
fact built here: 240 deals of 3 teams, 40 reps and 2 months."""

from __future__ import annotations

import duckdb
import pytest

from crm_warehouse.serve.dashboard_cubes import CubeSpec, read_cube

_FACT = """
create table fact as
select
    date '2026-01-01' + to_months(cast(i % 2 as integer)) as month,
    'team' || (i % 3) as team,
    'rep' || (i % 40) as rep,
    1 as deals,
    i * 10 as amount
from range(240) as t(i)
"""
_SPEC = CubeSpec(
    key="deals",
    tables=("fact",),
    sql="select month, team, rep, sum(deals) as deals, sum(amount) as amount from fact group by all",
    dims=("team", "rep"),
    measures=("deals", "amount"),
)


@pytest.fixture
def con() -> duckdb.DuckDBPyConnection:
    c = duckdb.connect()
    c.execute(_FACT)
    return c


def _totals(cube: dict) -> tuple[int, int]:
    off = 1 + len(cube["dims"])
    return sum(r[off] for r in cube["rows"]), sum(r[off + 1] for r in cube["rows"])


def test_a_cube_that_fits_is_kept_whole(con: duckdb.DuckDBPyConnection) -> None:
    cube = read_cube(con, _SPEC, [], {}, max_rows=1000)
    # 240 facts: the rep (i % 40) fixes the month (i % 2, its parity) and meets
    # every team (i % 3: 40 and 3 are coprime), so 120 combinations
    assert (cube["dims"], len(cube["rows"]), "dropped" in cube) == (["team", "rep"], 120, False)
    assert _totals(cube) == (240, sum(range(240)) * 10)


def test_a_cube_over_the_limit_loses_its_widest_dimension(con: duckdb.DuckDBPyConnection) -> None:
    cube = read_cube(con, _SPEC, [], {}, max_rows=50)
    # without rep (40 members, against 3 teams): 2 months x 3 teams
    assert cube["dims"] == ["team"]
    assert cube["dropped"] == ["rep"]
    assert len(cube["rows"]) == 6
    assert _totals(cube) == (240, sum(range(240)) * 10), "summed again, nothing lost"


def test_dimensions_go_until_the_cube_fits(con: duckdb.DuckDBPyConnection) -> None:
    cube = read_cube(con, _SPEC, [], {}, max_rows=2)
    assert (cube["dims"], cube["dropped"], len(cube["rows"])) == ([], ["rep", "team"], 2)
    assert _totals(cube) == (240, sum(range(240)) * 10)
    assert not con.execute(
        "select count(*) from duckdb_tables() where table_name = 'dashboard_cube'"
    ).fetchone()[0], "the temporary table is dropped"


def test_a_long_cube_is_never_refitted(con: duckdb.DuckDBPyConnection) -> None:
    spec = CubeSpec(
        key="long",
        tables=("fact",),
        sql="select month, team, null as rep, sum(amount) as amount from fact group by all",
        dims=("team", "rep"),
        measures=("amount",),
        long=True,
    )
    cube = read_cube(con, spec, [], {}, max_rows=1)
    assert (cube["dims"], len(cube["rows"]), cube["long"]) == (["team", "rep"], 6, True)
