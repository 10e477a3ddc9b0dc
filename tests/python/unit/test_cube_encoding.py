"""A dashboard cube encoded column by column (crm_warehouse.serve.cube_encoding
through dashboard_cubes.read_cube): positions into the shared month and
member lists, extended in the order the rows first show a value, and the
measures as the page prints them. Real DuckDB; every expected row worked out
by hand."""

from __future__ import annotations

import duckdb

from crm_warehouse.serve.dashboard_cubes import CubeSpec, read_cube

_ROWS = """
select
    cast(m as date) as month, team, rep, cast(deals as integer) as deals,
    cast(amount as decimal(18, 2)) as amount, cast(ratio as double) as ratio,
    cast(rate as decimal(18, 4)) as rate
from (values
    ('2026-02-01', 'A', 'r1', 2, 12.00, 0.333333, 2.675),
    (null, 'B', null, null, 10.50, 2.0, 1.0),
    ('2026-01-01', 'A', 'r2', 5, null, -0.125, 0.125)
) as t(m, team, rep, deals, amount, ratio, rate)
"""


def test_positions_extend_the_shared_lists_in_order_of_first_appearance() -> None:
    spec = CubeSpec(
        key="deals",
        tables=(),
        sql=_ROWS,
        dims=("team", "rep"),
        measures=("deals", "amount", "ratio", "rate"),
    )
    months, members = ["2026-01"], {"team": ["B"]}
    cube = read_cube(duckdb.connect(), spec, months, members)
    assert months == ["2026-01", "2026-02"]  # 2026-02 new, after the one known
    assert members == {"team": ["B", "A"], "rep": ["r1", "None", "r2"]}
    assert cube["rows"] == [
        # month, team, rep, deals, amount, ratio, rate (4 places: Python's float)
        [1, 1, 0, 2, 12, 0.33, 2.67],
        [-1, 0, 1, None, 10.5, 2, 1],  # a snapshot; a null rep is the member 'None'
        [0, 1, 2, 5, None, -0.12, 0.12],  # halves to even, as round() does
    ]
    whole = [cube["rows"][0][3], cube["rows"][0][4], cube["rows"][1][5]]
    assert [type(v) for v in whole] == [int, int, int]  # 12, not 12.0, on the page
    assert "long" not in cube


def test_a_long_cube_puts_a_null_member_at_minus_one() -> None:
    spec = CubeSpec(
        key="long",
        tables=(),
        sql="select cast(null as date) as month, team, null as rep, n from (values "
        "('A', cast(4 as hugeint)), (null, cast(9007199254740993 as hugeint))) as t(team, n)",
        dims=("team", "rep"),
        measures=("n",),
        long=True,
    )
    months: list[str] = []
    members: dict[str, list[str]] = {}
    cube = read_cube(duckdb.connect(), spec, months, members)
    # 2**53 + 1 has no double: the nearest, as float() of the value gives
    assert cube["rows"] == [[-1, 0, -1, 4], [-1, -1, -1, 9007199254740992]]
    assert months == [] and members == {"team": ["A"], "rep": []}
    assert cube["long"] is True


def test_an_unfinished_result_on_the_connection_does_not_lose_the_cube() -> None:
    # a long cube is read without fitted_cube's statements before it
    con = duckdb.connect()
    con.execute("select * from range(1000000)").fetchone()  # left unfinished
    spec = CubeSpec(
        key="one",
        tables=(),
        sql="select date '2026-03-01' as month, 7 as n",
        dims=(),
        measures=("n",),
        long=True,
    )
    assert read_cube(con, spec, [], {})["rows"] == [[0, 7]]
