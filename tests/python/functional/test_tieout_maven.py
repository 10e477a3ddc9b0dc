"""Tie-out: the Maven CRM sales opportunities export against its published marts.

Every expected figure is computed here with pandas straight from the export's
own files (sales_pipeline.csv, sales_teams.csv, products.csv), following
../shared/KPI_CATALOGUE.md; nothing is read from the warehouse to get it. The
only inputs taken from the repository are the mapping's documented choices
(docs/import.md, "How the tie-out computes it") and the stage probabilities of
seeds/stages.csv, which are configuration, not computation.

Each figure is its own test, named KPI-column-dimension=member-month, compared
exactly with the published marts (publish/crm_marts.duckdb) after the import:
counts as integers, money to the cent, day averages to the mart's two decimals
and ratios to its six (the expected value is rounded half away from zero from
the exact fraction, so the comparison is exact).
"""

from __future__ import annotations

import csv
import itertools
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from functools import cache
from statistics import median

import pandas as pd
import pytest
from published_imports import CENT, DATASETS, RATE, published, ratio, rounded

from crm_warehouse.settings import project_root

pytestmark = pytest.mark.xdist_group("tieout_a")

NAME = "maven_crm_sales_opportunities"
SOURCE = DATASETS / NAME

if not SOURCE.is_dir():
    pytest.skip(f"public dataset {NAME} not found in {DATASETS}", allow_module_level=True)


def money(values: list[Decimal]) -> Decimal | None:
    """Sum of the known amounts; null when there are rows but none has an amount
    (unknown is not zero), 0 when there are no rows at all."""
    if not values:
        return Decimal("0.00")
    known = [v for v in values if v is not None]
    if not known:
        return None
    return sum(known, Decimal("0.00"))


# --------------------------------------------------------------------------- the export


def read_deals() -> pd.DataFrame:
    """One row per deal of sales_pipeline.csv with its dimensions, as the
    mapping documents them (docs/import.md, Maven)."""
    pipeline = pd.read_csv(SOURCE / "sales_pipeline.csv", dtype=str, keep_default_na=False)
    teams = pd.read_csv(SOURCE / "sales_teams.csv", dtype=str, keep_default_na=False)
    products = pd.read_csv(SOURCE / "products.csv", dtype=str, keep_default_na=False)

    deals = pd.DataFrame({"opportunity_id": pipeline["opportunity_id"]})
    deals["owner"] = pipeline["sales_agent"]
    deals["team"] = pipeline["sales_agent"].map(
        dict(zip(teams["sales_agent"], teams["manager"], strict=True))
    )
    # sales_pipeline.csv spells one product 'GTXPro'; products.csv says 'GTX Pro'.
    product = pipeline["product"].replace({"GTXPro": "GTX Pro"})
    deals["product_family"] = product.map(
        dict(zip(products["product"], products["series"], strict=True))
    )
    deals["account"] = pipeline["account"].replace("", None)
    deals["stage"] = pipeline["deal_stage"]
    engage = pd.to_datetime(pipeline["engage_date"].replace("", None), format="%Y-%m-%d")
    close = pd.to_datetime(pipeline["close_date"].replace("", None), format="%Y-%m-%d")
    # Choice (mapping): Prospecting deals carry no date; they are created at the
    # export's last day, the latest close_date.
    deals["created"] = engage.fillna(close.max())
    deals["closed"] = close
    deals["created_month"] = deals["created"].dt.to_period("M").dt.start_time
    deals["closed_month"] = deals["closed"].dt.to_period("M").dt.start_time
    # close_value is filled on closed deals only (0 on lost ones): open deals
    # have no amount. The reporting currency USD converts at exactly 1.
    deals["amount"] = pipeline["close_value"].map(
        lambda v: Decimal(v).quantize(CENT) if v else None
    )
    return deals


DEALS = read_deals()
#: As-of date: the latest event in the data (the latest date of any deal).
AS_OF = max(DEALS["created"].max(), DEALS["closed"].max())
MONTHS = list(pd.date_range(DEALS["created_month"].min(), AS_OF, freq="MS"))


def month_end(month: pd.Timestamp) -> pd.Timestamp:
    """The date the month's open pipeline is taken at: the calendar month end,
    or the as-of date for the as-of month."""
    return min(month + pd.offsets.MonthEnd(0), AS_OF)


def existing_customer(deals: pd.DataFrame) -> pd.Series:
    """S11: 'existing' when the deal's account had a won deal closed strictly
    before the deal was created (dates only); no account -> 'new'."""
    won = deals[deals["stage"] == "Won"]
    first_won = deals["account"].map(won.groupby("account")["closed"].min())
    return (first_won < deals["created"]).map({True: "existing", False: "new"})


DEALS["customer_type"] = existing_customer(DEALS)
DEALS["all"] = "all"

#: dimension_name in the mart -> the column of DEALS holding its member.
DIMENSIONS = {
    "all": "all",
    "owner": "owner",
    "team": "team",
    "product_family": "product_family",
    "customer_type": "customer_type",
}


@cache
def stage_probabilities() -> dict[str, Decimal]:
    """Seed probability of each canonical stage (seeds/stages.csv)."""
    with open(project_root() / "seeds" / "stages.csv", newline="") as f:
        return {
            row["raw_stage_name"]: Decimal(row["default_probability"]) for row in csv.DictReader(f)
        }


def deal_stage_at(deals: pd.DataFrame) -> pd.Series:
    """Canonical stage of a deal while it is open: a dated deal was Engaging from
    its engage date until its close (seed: engaging -> qualification);
    Prospecting deals are in prospecting."""
    return deals["stage"].map(lambda s: "prospecting" if s == "Prospecting" else "qualification")


def open_snapshots(deals: pd.DataFrame) -> pd.DataFrame:
    """S7: one row per deal and month end at which it is open: created on or
    before that date and not closed by it (a deal without a close date stays
    open through the as-of date), with its age and stage then."""
    frames = []
    for month in MONTHS:
        end = month_end(month)
        rows = deals[(deals["created"] <= end) & ~(deals["closed"] <= end)].copy()
        rows["month"] = month
        rows["age_days"] = (end - rows["created"]).dt.days
        frames.append(rows)
    snapshots = pd.concat(frames, ignore_index=True)
    snapshots["stage_then"] = deal_stage_at(snapshots)
    probability = stage_probabilities()
    snapshots["weighted"] = [
        None if a is None else (a * probability[s]).quantize(CENT, ROUND_HALF_UP)
        for a, s in zip(snapshots["amount"], snapshots["stage_then"], strict=True)
    ]
    return snapshots


SNAPSHOTS = open_snapshots(DEALS)


# --------------------------------------------------------------------------- KPIs, one function each
# Each takes one member's deals (and their month-end snapshots) and returns
# {month: value}; a month missing from the result gets the KPI's empty value.


def per_month(rows: pd.DataFrame, month_column: str, column: str, func) -> dict:
    return {month: func(list(values)) for month, values in rows.groupby(month_column)[column]}


def won(deals: pd.DataFrame) -> pd.DataFrame:
    """Won deals; they count in the month of their close date."""
    return deals[deals["stage"] == "Won"]


def lost(deals: pd.DataFrame) -> pd.DataFrame:
    return deals[deals["stage"] == "Lost"]


def s1_won_count(deals, snapshots):
    # S1 deal count: closed-won opportunities in the period.
    return per_month(won(deals), "closed_month", "opportunity_id", len)


def s2_won_revenue(deals, snapshots):
    # S2 won revenue: sum of the won deals' amounts.
    return per_month(won(deals), "closed_month", "amount", money)


def s3_average_deal_size(deals, snapshots):
    # S3 average deal size = S2 / S1, over the won deals with a known amount.
    def average(amounts):
        known = [a for a in amounts if a is not None]
        return ratio(sum(known, Decimal(0)), len(known), CENT)

    return per_month(won(deals), "closed_month", "amount", average)


def opportunities_lost(deals, snapshots):
    # S4 input: closed-lost opportunities in the period.
    return per_month(lost(deals), "closed_month", "opportunity_id", len)


def lost_amount(deals, snapshots):
    # S4 input: lost deals carry close_value 0, so their amount is 0, not unknown.
    return per_month(lost(deals), "closed_month", "amount", money)


def s4_win_rate(deals, snapshots):
    # S4 win rate by count = won / (won + lost), in the month of the close.
    closed = deals[deals["stage"].isin(["Won", "Lost"])]
    return per_month(closed, "closed_month", "stage", lambda s: ratio(s.count("Won"), len(s), RATE))


def s4_win_rate_by_amount(deals, snapshots):
    # S4 win rate by amount = won revenue / (won revenue + lost amount).
    revenue, lost_value = s2_won_revenue(deals, snapshots), lost_amount(deals, snapshots)
    rates = {}
    for month in set(revenue) | set(lost_value):
        r, v = revenue.get(month, Decimal(0)), lost_value.get(month, Decimal(0))
        rates[month] = None if r is None or v is None else ratio(r, r + v, RATE)
    return rates


def cycle_days(deals: pd.DataFrame) -> pd.DataFrame:
    rows = won(deals).copy()
    rows["days"] = (rows["closed"] - rows["created"]).dt.days
    return rows


def s6_cycle_mean(deals, snapshots):
    # S6 sales cycle length: mean days from creation to won close, by close month.
    return per_month(
        cycle_days(deals), "closed_month", "days", lambda d: ratio(sum(d), len(d), CENT)
    )


def s6_cycle_median(deals, snapshots):
    # S6 sales cycle length: median days (the mean of the two middle values).
    return per_month(
        cycle_days(deals),
        "closed_month",
        "days",
        lambda d: rounded(Fraction(median(d)).limit_denominator(2), CENT),
    )


def s7_open_count(deals, snapshots):
    # S7 open pipeline count at the month end.
    return per_month(snapshots, "month", "opportunity_id", len)


def s7_open_amount(deals, snapshots):
    # S7 open pipeline amount at the month end: a deal open then is valued at
    # the export's only amount, its close_value (won value; 0 if later lost;
    # unknown for deals still open).
    return per_month(snapshots, "month", "amount", money)


def s7_weighted_amount(deals, snapshots):
    # S7 weighted amount: amount x seed probability of the stage at the month end.
    return per_month(snapshots, "month", "weighted", money)


def s9_days_open(deals, snapshots):
    # S9 average days open: mean age in days of the deals open at the month end.
    return per_month(snapshots, "month", "age_days", lambda d: ratio(sum(d), len(d), CENT))


def m9_created_count(deals, snapshots):
    # M9 opportunities created in the month.
    return per_month(deals, "created_month", "opportunity_id", len)


def s15_growth(deals, snapshots):
    # S15 monthly sales growth = (won revenue - last month's) / last month's;
    # null for the first month and when last month's revenue is 0 or unknown.
    revenue = s2_won_revenue(deals, snapshots)
    growth = {}
    for previous, month in itertools.pairwise(MONTHS):
        before, now = revenue.get(previous, Decimal("0.00")), revenue.get(month, Decimal("0.00"))
        growth[month] = None if before is None or now is None else ratio(now - before, before, RATE)
    return growth


@dataclass(frozen=True)
class Kpi:
    kpi_id: str
    column: str
    compute: object
    empty: object  # the value of a month without rows
    dimensions: tuple[str, ...]


ALL_DIMENSIONS = tuple(DIMENSIONS)
ZERO = Decimal("0.00")
MAIN = ("all", "team", "product_family")
MONTHLY = [
    Kpi("S1", "opportunities_won", s1_won_count, 0, ALL_DIMENSIONS),
    Kpi("S2", "won_revenue", s2_won_revenue, ZERO, ALL_DIMENSIONS),
    Kpi("S3", "won_revenue_mean", s3_average_deal_size, None, ALL_DIMENSIONS),
    Kpi("S4", "opportunities_lost", opportunities_lost, 0, ALL_DIMENSIONS),
    Kpi("S4", "lost_amount", lost_amount, ZERO, MAIN),
    Kpi("S4", "win_rate", s4_win_rate, None, ALL_DIMENSIONS),
    Kpi("S4", "win_rate_by_amount", s4_win_rate_by_amount, None, MAIN),
    Kpi("S6", "sales_cycle_days_mean", s6_cycle_mean, None, ALL_DIMENSIONS),
    Kpi("S6", "sales_cycle_days_median", s6_cycle_median, None, MAIN),
    Kpi("S7", "open_pipeline_opportunities", s7_open_count, 0, ALL_DIMENSIONS),
    Kpi("S7", "open_pipeline_amount", s7_open_amount, ZERO, ALL_DIMENSIONS),
    Kpi("S7", "open_pipeline_weighted_amount", s7_weighted_amount, ZERO, MAIN),
    Kpi("S9", "days_open_mean", s9_days_open, None, ALL_DIMENSIONS),
    Kpi("M9", "opportunities_created", m9_created_count, 0, (*MAIN, "customer_type")),
    Kpi("S15", "won_revenue_growth", s15_growth, None, MAIN),
]


def monthly_figures() -> dict[tuple, object]:
    """(kpi, column, dimension, member, month) -> expected value of kpi_sales_monthly."""
    figures = {}
    for dimension, column in DIMENSIONS.items():
        snapshots = dict(list(SNAPSHOTS.groupby(column)))
        for member, deals in DEALS.groupby(column):
            member_snapshots = snapshots.get(member, SNAPSHOTS.iloc[:0])
            for kpi in MONTHLY:
                if dimension not in kpi.dimensions:
                    continue
                values = kpi.compute(deals, member_snapshots)
                for month in MONTHS:
                    figures[(kpi.kpi_id, kpi.column, dimension, member, month)] = values.get(
                        month, kpi.empty
                    )
    return figures


#: The S7 / S9 columns of kpi_sales_pipeline_monthly, by stage.
BY_STAGE = [kpi for kpi in MONTHLY if kpi.kpi_id in ("S7", "S9")]


def pipeline_stage_figures() -> dict[tuple, object]:
    """(kpi, column, stage, month) -> S7/S9 by the stage at the month end (all deals)."""
    figures = {}
    for stage in ("prospecting", "qualification"):
        rows = SNAPSHOTS[SNAPSHOTS["stage_then"] == stage]
        for kpi in BY_STAGE:
            values = kpi.compute(DEALS, rows)
            for month in MONTHS:
                figures[(kpi.kpi_id, kpi.column, stage, month)] = values.get(month, kpi.empty)
    return figures


MONTHLY_FIGURES = monthly_figures()
STAGE_FIGURES = pipeline_stage_figures()

#: Whole-export figures: fct_opportunities against the file.
TOTALS = {
    ("S1", "won deals"): (
        "select count(*) from core.fct_opportunities where is_won",
        int((DEALS["stage"] == "Won").sum()),
    ),
    ("S2", "won revenue USD"): (
        "select sum(amount) from core.fct_opportunities where is_won",
        money(list(DEALS.loc[DEALS["stage"] == "Won", "amount"])),
    ),
    ("S4", "lost deals"): (
        "select count(*) from core.fct_opportunities where is_closed and not is_won",
        int((DEALS["stage"] == "Lost").sum()),
    ),
    ("S7", "open deals now"): (
        "select count(*) from core.fct_opportunities where not is_closed",
        int(DEALS["closed"].isna().sum()),
    ),
    ("S2", "won deals without an amount"): (
        "select count(*) from core.fct_opportunities where is_won and amount is null",
        0,
    ),
    ("S7", "open deals without an account"): (
        "select count(*) from core.fct_opportunities where not is_closed and account_id is null",
        int((DEALS["closed"].isna() & DEALS["account"].isna()).sum()),
    ),
}


def _id(key: tuple) -> str:
    *head, month = key
    return "-".join(str(part) for part in head) + f"-{month:%Y-%m}"


# --------------------------------------------------------------------------- the marts


@pytest.fixture(scope="module")
def marts(tmp_path_factory: pytest.TempPathFactory):
    """The import, built once, and its monthly sales marts indexed by key."""
    imported = published(NAME, tmp_path_factory)
    columns = sorted({kpi.column for kpi in MONTHLY})
    monthly = rows(
        imported,
        [
            "dimension_name",
            "dimension_value",
            "month_start_date",
            "month_end_date",
            "is_as_of_month",
            *columns,
        ],
        "sales.kpi_sales_monthly",
    )
    pipeline = rows(
        imported,
        ["stage_name", "month_start_date", *sorted({key[1] for key in STAGE_FIGURES})],
        "sales.kpi_sales_pipeline_monthly where dimension_name = 'all'",
    )
    return {
        "imported": imported,
        "monthly": {
            (r["dimension_name"], r["dimension_value"], pd.Timestamp(r["month_start_date"])): r
            for r in monthly
        },
        "pipeline": {(r["stage_name"], pd.Timestamp(r["month_start_date"])): r for r in pipeline},
    }


def rows(imported, columns: list[str], source: str) -> list[dict]:
    """Rows of a mart as dicts of Python values (DECIMAL stays Decimal, exact)."""
    result = imported.query(f"select {', '.join(columns)} from {source}")
    return [dict(zip(columns, row, strict=True)) for row in result]


def as_python(value):
    """A mart value as int / Decimal / None for an exact comparison."""
    if isinstance(value, float):
        raise AssertionError(f"float in the marts: {value!r}")
    return value


def test_months_and_as_of_date(marts) -> None:
    """The month spine runs from the first deal's month to the as-of month,
    the latest event in the data (2017-12-31), whose balance date is the as-of date."""
    rows = sorted(
        (k[2], pd.Timestamp(r["month_end_date"]), bool(r["is_as_of_month"]))
        for k, r in marts["monthly"].items()
        if k[0] == "all"
    )
    assert [m for m, _, _ in rows] == MONTHS
    assert [e for _, e, _ in rows] == [month_end(m) for m in MONTHS]
    assert [m for m, _, as_of in rows if as_of] == [AS_OF.replace(day=1)]


@pytest.mark.parametrize("key", sorted(MONTHLY_FIGURES), ids=_id)
def test_sales_monthly(marts, key) -> None:
    kpi_id, column, dimension, member, month = key
    expected = MONTHLY_FIGURES[key]
    row = marts["monthly"].get((dimension, member, month))
    assert row is not None, (
        f"{kpi_id} {column}: kpi_sales_monthly has no row for {dimension}={member}, {month:%Y-%m}"
    )
    actual = as_python(row[column])
    assert actual == expected, (
        f"{kpi_id} {column} for {dimension}={member}, {month:%Y-%m}: expected {expected}, mart has {actual}"
    )


@pytest.mark.parametrize("key", sorted(STAGE_FIGURES), ids=_id)
def test_pipeline_by_stage(marts, key) -> None:
    kpi_id, column, stage, month = key
    expected = STAGE_FIGURES[key]
    row = marts["pipeline"].get((stage, month))
    assert row is not None, (
        f"{kpi_id} {column}: kpi_sales_pipeline_monthly has no row for stage {stage}, {month:%Y-%m}"
    )
    actual = as_python(row[column])
    assert actual == expected, (
        f"{kpi_id} {column} in stage {stage} at the end of {month:%Y-%m}: expected {expected}, mart has {actual}"
    )


def test_pipeline_only_open_stages(marts) -> None:
    """Every open deal at a month end is in a stage it really was in: none under
    'unknown' (the export dates the Engaging stage, so closed deals were in it)."""
    others = {
        k: as_python(r["open_pipeline_opportunities"])
        for k, r in marts["pipeline"].items()
        if k[0] not in ("prospecting", "qualification")
        and as_python(r["open_pipeline_opportunities"])
    }
    assert others == {}


@pytest.mark.parametrize("key", sorted(TOTALS), ids=lambda k: "-".join(k))
def test_totals(marts, key) -> None:
    sql, expected = TOTALS[key]
    actual = as_python(marts["imported"].query(sql)[0][0])
    assert actual == expected, f"{key[0]} {key[1]}: expected {expected}, mart has {actual}"
