"""Tie-out: the X Education leads export against its published marts.

Every expected figure is computed here with pandas straight from Leads.csv,
following ../shared/KPI_CATALOGUE.md; nothing is read from the warehouse to get
it. The grouping of raw lead sources into canonical sources and channel groups
is configuration, not computation: it is read from seeds/lead_sources.csv
(matched lower-cased and trimmed; a source the seed does not know, or no source,
is 'unknown'). The export's other choices are in docs/import.md ("How the
tie-out computes it").

Each figure is its own test, named KPI-column-dimension=member-month, compared
exactly with the published marts after the import: counts as integers, money to
the cent, day averages to two decimals and ratios to six (the expected value is
the exact fraction rounded half away from zero, so the comparison is exact).
"""

from __future__ import annotations

import csv
from decimal import Decimal

import pandas as pd
import pytest
from published_imports import DATASETS, RATE, published, ratio

from crm_warehouse.settings import project_root

pytestmark = pytest.mark.xdist_group("tieout_a")

NAME = "x_education_leads"
SOURCE = DATASETS / NAME

if not SOURCE.is_dir():
    pytest.skip(f"public dataset {NAME} not found in {DATASETS}", allow_module_level=True)

ZERO = Decimal("0.00")
NULL_MARKERS = {"", "Select"}  # blank and the web form's unanswered drop-down
#: The export has no dates: every lead and conversion is dated at this day
#: (docs/import.md), which is then also the as-of date (the latest event).
DAY = pd.Timestamp("2020-01-01")
MONTH = DAY


def money(amounts: list) -> Decimal | None:
    """Sum of the known amounts: 0 without rows, null when no row has an amount."""
    if not amounts:
        return ZERO
    known = [a for a in amounts if a is not None]
    return sum(known, ZERO) if known else None


# --------------------------------------------------------------------------- the export


def seed_groups() -> dict[str, tuple[str, str]]:
    """raw lead source (lower-cased) -> (canonical lead source, channel group)."""
    with open(project_root() / "seeds" / "lead_sources.csv", newline="") as f:
        return {
            row["raw_lead_source"].strip().lower(): (row["lead_source"], row["channel_group"])
            for row in csv.DictReader(f)
        }


def read_leads() -> pd.DataFrame:
    """One row per lead of Leads.csv, with the columns the KPIs need."""
    raw = pd.read_csv(SOURCE / "Leads.csv", dtype=str, keep_default_na=False)
    leads = pd.DataFrame({"lead_id": raw["Lead Number"]})
    source = raw["Lead Source"].str.strip()
    # Raw sources keep their value; only the spelling is unified ('google' is
    # 'Google'). Blank means no source.
    leads["raw_lead_source"] = source.replace({"google": "Google"}).where(
        ~source.isin(NULL_MARKERS), None
    )
    groups = seed_groups()
    group = leads["raw_lead_source"].map(
        lambda s: groups.get(s.lower()) if isinstance(s, str) else None
    )
    leads["lead_source"] = group.map(lambda g: g[0] if g else "unknown")
    leads["channel_group"] = group.map(lambda g: g[1] if g else "unknown")
    # A converted lead bought a course: it has one opportunity, won the same day
    # (no amount: the export has no deal value).
    leads["won"] = raw["Converted"] == "1"
    leads["all"] = "all"
    return leads


LEADS = read_leads()


# --------------------------------------------------------------------------- KPIs, one function each
# Each takes the leads of one member (all of the single cohort month).


def m1_leads_created(leads):
    # M1 leads by source: leads created in the month.
    return len(leads)


def m2_leads_qualified(leads):
    # M2 qualified: a converted lead was qualified (the export has no other qualification).
    return int(leads["won"].sum())


def m2_qualification_rate(leads):
    # M2 qualification rate = qualified / identified.
    return ratio(m2_leads_qualified(leads), len(leads), RATE)


def m3_leads_with_opportunity(leads):
    # M3 lead -> opportunity: each converted lead has exactly one opportunity.
    return int(leads["won"].sum())


def m3_leads_won(leads):
    # M3 / S5 leads that led to a won deal.
    return int(leads["won"].sum())


def m3_lead_to_opportunity_rate(leads):
    # M3 lead -> opportunity rate.
    return ratio(m3_leads_with_opportunity(leads), len(leads), RATE)


def m3_opportunity_to_won_rate(leads):
    # M3 opportunity -> won rate.
    return ratio(m3_leads_won(leads), m3_leads_with_opportunity(leads), RATE)


def s5_close_rate(leads):
    # S5 close rate = cohort leads that led to a won deal / cohort leads (also M3 lead -> won).
    return ratio(m3_leads_won(leads), len(leads), RATE)


def m3_mean_days(leads):
    # M3 mean days to convert: created and converted the same day -> 0; null without conversions.
    return ZERO if leads["won"].any() else None


def s1_won_count(leads):
    # S1 deal count: the won opportunities (one per converted lead).
    return int(leads["won"].sum())


def s2_won_revenue(leads):
    # S2 won revenue: the won deals have no amount -> null, not 0 (0 without won deals).
    return money([None] * int(leads["won"].sum()))


def s3_average_deal_size(leads):
    # S3 average deal size: no won deal with an amount -> null.
    return None


def s4_win_rate(leads):
    # S4 win rate = won / (won + lost): nothing is lost in this export.
    return ratio(int(leads["won"].sum()), int(leads["won"].sum()), RATE)


def s6_cycle_days(leads):
    # S6 sales cycle (mean and median) and lead-to-close days: all 0 (same day).
    return ZERO if leads["won"].any() else None


def s7_open_count(leads):
    # S7 open pipeline at the month end: every deal closed the day it was created.
    return 0


def s7_open_amount(leads):
    # S7 open pipeline amount: no open deal -> 0 (no rows), not null.
    return ZERO


def s9_days_open(leads):
    # S9 average days open: no open deal -> null.
    return None


def m9_created_count(leads):
    # M9 opportunities created in the month.
    return int(leads["won"].sum())


# --------------------------------------------------------------------------- expected figures

#: (mart, dimension column of the mart, member column of LEADS, where) per breakdown.
SALES_COLUMNS_ALL = {
    "S1": [("opportunities_won", s1_won_count)],
    "S2": [("won_revenue", s2_won_revenue)],
    "S3": [("won_revenue_mean", s3_average_deal_size)],
    "S4": [("win_rate", s4_win_rate)],
    "S5": [
        ("leads_created", m1_leads_created),
        ("leads_won", m3_leads_won),
        ("close_rate", s5_close_rate),
    ],
    "S6": [
        ("sales_cycle_days_mean", s6_cycle_days),
        ("sales_cycle_days_median", s6_cycle_days),
        ("lead_to_close_days_mean", s6_cycle_days),
        ("lead_to_close_days_median", s6_cycle_days),
    ],
    "S7": [
        ("open_pipeline_opportunities", s7_open_count),
        ("open_pipeline_amount", s7_open_amount),
    ],
    "S9": [("days_open_mean", s9_days_open)],
    "M9": [("opportunities_created", m9_created_count)],
}
SALES_COLUMNS_MEMBER = {
    "S1": [("opportunities_won", s1_won_count)],
    "S2": [("won_revenue", s2_won_revenue)],
    "S5": [
        ("leads_created", m1_leads_created),
        ("leads_won", m3_leads_won),
        ("close_rate", s5_close_rate),
    ],
    "M9": [("opportunities_created", m9_created_count)],
}
FUNNEL_COLUMNS = {
    "M3": [
        ("leads_created", m1_leads_created),
        ("leads_with_opportunity", m3_leads_with_opportunity),
        ("leads_won", m3_leads_won),
        ("lead_to_opportunity_rate", m3_lead_to_opportunity_rate),
        ("opportunity_to_won_rate", m3_opportunity_to_won_rate),
        ("lead_to_won_rate", s5_close_rate),
        ("days_to_opportunity_mean", m3_mean_days),
        ("days_to_won_mean", m3_mean_days),
        ("opportunities_won", s1_won_count),
        ("won_revenue", s2_won_revenue),
        ("won_revenue_mean", s3_average_deal_size),
    ],
}
LEADS_MONTHLY_COLUMNS = {
    "M1": [("leads_created", m1_leads_created)],
    "M2": [
        ("leads_qualified", m2_leads_qualified),
        ("leads_handed_to_sales", m2_leads_qualified),
        ("qualification_rate", m2_qualification_rate),
    ],
}
CHANNEL_GROUP_COLUMNS = {
    "M4": [
        ("leads_created", m1_leads_created),
        ("opportunities_created", m9_created_count),
        ("opportunities_won", s1_won_count),
        ("won_revenue", s2_won_revenue),
    ],
}


def h2_created_count(leads):
    # H2 created: each deal is created and won at the same instant (2020-01-01
    # 00:00): open for no time, but it passed through the pipeline.
    return int(leads["won"].sum())


def h2_unknown_amount(leads):
    # H2 amounts of deals without a value: unknown (null), never 0.
    return None if leads["won"].any() else ZERO


def h2_nothing_open(leads):
    # H2 opening and closing: nothing open at the month's start or end.
    return 0


WATERFALL_COLUMNS = {
    "H2": [
        ("opening_count", h2_nothing_open),
        ("created_count", h2_created_count),
        ("created_amount", h2_unknown_amount),
        ("won_count", h2_created_count),
        ("won_amount", h2_unknown_amount),
        ("lost_count", h2_nothing_open),
        ("closing_count", h2_nothing_open),
    ],
}
RAW_SOURCE_COLUMNS = {
    "M1": [("leads", m1_leads_created)],
    "M2": [("qualified", m2_leads_qualified), ("converted", m2_leads_qualified)],
    "M3": [("with_opportunity", m3_leads_with_opportunity), ("won", m3_leads_won)],
}


def figures(table: str, dimension: str, member_column: str, columns: dict) -> dict[tuple, object]:
    """(table, kpi, column, dimension, member, month) -> expected value."""
    result = {}
    for member, leads in LEADS.groupby(member_column, dropna=False):
        member = None if pd.isna(member) else member
        for kpi_id, kpis in columns.items():
            for column, compute in kpis:
                result[(table, kpi_id, column, dimension, member, MONTH)] = compute(leads)
    return result


EXPECTED = {
    **figures("sales.kpi_sales_monthly", "all", "all", SALES_COLUMNS_ALL),
    **figures("sales.kpi_sales_monthly", "lead_source", "lead_source", SALES_COLUMNS_MEMBER),
    **figures("sales.kpi_sales_monthly", "channel_group", "channel_group", SALES_COLUMNS_MEMBER),
    **figures(
        "marketing.kpi_marketing_funnel_monthly", "lead_source", "lead_source", FUNNEL_COLUMNS
    ),
    **figures(
        "marketing.kpi_marketing_leads_monthly", "lead_source", "lead_source", LEADS_MONTHLY_COLUMNS
    ),
    **figures(
        "marketing.kpi_marketing_channel_groups_monthly",
        "channel_group",
        "channel_group",
        CHANNEL_GROUP_COLUMNS,
    ),
    **figures("core.fct_leads", "raw_lead_source", "raw_lead_source", RAW_SOURCE_COLUMNS),
    **figures("sales.kpi_sales_pipeline_waterfall_monthly", "all", "all", WATERFALL_COLUMNS),
}

#: How each table's rows are keyed: (member expression, month expression).
KEYS = {
    "sales.kpi_sales_monthly": ("dimension_name", "dimension_value", "month_start_date"),
    "sales.kpi_sales_pipeline_waterfall_monthly": (
        "dimension_name",
        "dimension_value",
        "month_start_date",
    ),
    "marketing.kpi_marketing_funnel_monthly": ("'lead_source'", "lead_source", "month_start_date"),
    "marketing.kpi_marketing_leads_monthly": ("'lead_source'", "lead_source", "month_start_date"),
    "marketing.kpi_marketing_channel_groups_monthly": (
        "'channel_group'",
        "channel_group",
        "month_start_date",
    ),
}
#: fct_leads is one row per lead: its figures are counts per member.
FCT_LEADS_COLUMNS = {
    "leads": "count(*)",
    "with_opportunity": "count(*) filter (where has_opportunity)",
    "won": "count(*) filter (where is_won)",
    "qualified": "count(*) filter (where is_qualified)",
    "converted": "count(*) filter (where is_converted)",
}


def _id(key: tuple) -> str:
    table, kpi_id, column, dimension, member, month = key
    return f"{kpi_id}-{table.split('.')[-1]}.{column}-{dimension}={member}-{month:%Y-%m}"


# --------------------------------------------------------------------------- the marts


@pytest.fixture(scope="module")
def marts(tmp_path_factory: pytest.TempPathFactory):
    """The import, built once, and each compared table's rows keyed by
    (dimension, member, month)."""
    imported = published(NAME, tmp_path_factory)
    tables = {}
    for table, (dimension, member, month) in KEYS.items():
        columns = sorted({key[2] for key in EXPECTED if key[0] == table})
        result = imported.query(
            f"select {dimension}, {member}, {month}, {', '.join(columns)} from {table}"
        )
        tables[table] = {
            (r[0], r[1], pd.Timestamp(r[2])): dict(zip(columns, r[3:], strict=True)) for r in result
        }
    for dimension in ("raw_lead_source",):
        aggregates = ", ".join(f"{sql} as {name}" for name, sql in FCT_LEADS_COLUMNS.items())
        result = imported.query(
            f"select {dimension}, created_month_start_date, {aggregates} from core.fct_leads group by all"
        )
        for r in result:
            key = (dimension, r[0], pd.Timestamp(r[1]))
            tables.setdefault("core.fct_leads", {})[key] = dict(
                zip(FCT_LEADS_COLUMNS, r[2:], strict=True)
            )
    return {"imported": imported, "tables": tables}


@pytest.mark.parametrize("key", sorted(EXPECTED, key=str), ids=_id)
def test_figure(marts, key) -> None:
    table, kpi_id, column, dimension, member, month = key
    expected = EXPECTED[key]
    row = marts["tables"].get(table, {}).get((dimension, member, month))
    assert row is not None, (
        f"{kpi_id} {column}: {table} has no row for {dimension}={member}, {month:%Y-%m}"
    )
    actual = row[column]
    assert not isinstance(actual, float), f"{kpi_id} {column}: float in the marts: {actual!r}"
    assert actual == expected, (
        f"{kpi_id} {table}.{column} for {dimension}={member}, {month:%Y-%m}: expected {expected}, mart has {actual}"
    )


def test_raw_sources_kept(marts) -> None:
    """fct_leads keeps the export's 21 raw lead sources (only 'google' is spelled
    'Google'), no more and no fewer."""
    actual = {
        r[0] for r in marts["imported"].query("select distinct raw_lead_source from core.fct_leads")
    }
    assert actual == {None if pd.isna(s) else s for s in LEADS["raw_lead_source"].unique()}


def test_as_of_month(marts) -> None:
    """One month, the as-of month; its balance date is the as-of date, the
    latest event (2020-01-01), not the calendar month end."""
    rows = marts["imported"].query(
        "select month_start_date, balance_date, is_as_of_month from sales.kpi_sales_monthly"
        " where dimension_name = 'all'"
    )
    assert [(pd.Timestamp(a), pd.Timestamp(b), c) for a, b, c in rows] == [(MONTH, DAY, True)]
