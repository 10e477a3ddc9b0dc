"""What a figure of the dashboard's area tabs is: a formula over a cube's
summed measures (serve.dashboard_cubes), computed in the browser for the
filters chosen (serve/dashboard_app.js).

- `sum`: the sum of `num`; with `known` (rows whose amount is known) and
  `count` (all rows), null when some rows count and none has an amount
  (unknown is not zero, as the marts' amount_total);
- `ratio`: sum(num) / sum(den), null when sum(den) is 0 (a mean over
  several months or members is the pooled ratio, as the marts compute it);
- `diff`: sum(num) - sum(den).
With `at_end`, the figure is a balance: only the range's last month counts;
with `at_start`, only its first (an opening balance).
`num` and `den` may add measures: "won+lost".
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from crm_warehouse.serve.dashboard_specs import Fmt


@dataclass(frozen=True)
class Figure:
    """`kind` sum / ratio / diff of the cube's measures (see the module doc)."""

    cube: str
    num: str
    kind: Literal["sum", "ratio", "diff"] = "sum"
    den: str | None = None
    known: str | None = None
    count: str | None = None
    #: a balance: the value of the range's last month, not a sum over the range
    at_end: bool = False
    #: an opening balance: the value of the range's first month
    at_start: bool = False
    #: multiplies a ratio or a sum (DSO: × 90 days; ARR: × 12; -1: an outflow below the axis)
    scale: float = 1.0


@dataclass(frozen=True)
class Card:
    key: str
    label: str
    figure: Figure
    fmt: Fmt
    definition: str
    #: the target metric of sales.kpi_sales_goal_progress shown beside it
    target: str | None = None
    #: a snapshot at the as-of date (the date range does not apply)
    snapshot: bool = False


@dataclass(frozen=True)
class Series:
    label: str
    figure: Figure
    axis: Literal["y", "y2"] = "y"


@dataclass(frozen=True)
class Chart:
    key: str
    title: str
    #: "month": one point per month of the range; else a dimension (one bar per member)
    x: str
    series: tuple[Series, ...]
    fmt: Fmt
    definition: str
    y2_fmt: Fmt = "number"
    kind: Literal["bar", "line"] = "bar"
    #: "relative": bars stacked, inflows above the axis and outflows (scale -1) below
    barmode: Literal["group", "relative"] = "group"
    top: int = 15
    #: the open snapshot at the as-of date (the date range does not apply)
    snapshot: bool = False


@dataclass(frozen=True)
class Area:
    key: str
    title: str
    cards: tuple[Card, ...]
    charts: tuple[Chart, ...] = field(default=())


def areas_json(areas: tuple[Area, ...]) -> list[dict[str, Any]]:
    """The areas as the page's script reads them."""
    return [asdict(a) for a in areas]
