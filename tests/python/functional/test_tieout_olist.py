"""Tie-out: the Olist marketing funnel export against its published marts.

Every expected figure is computed here with pandas straight from the export's
own two files (olist_marketing_qualified_leads_dataset.csv and
olist_closed_deals_dataset.csv), following ../shared/KPI_CATALOGUE.md; nothing
is read from the warehouse to get it. The choices the catalogue leaves open
are written in docs/import.md ("Olist marketing funnel", "How the tie-out
computes it") and each is a figure here.

Each figure is its own test, named KPI-column-member-month, compared exactly
with the published marts (publish/crm_marts.duckdb) after the import: counts
as integers, money to the cent, days to the mart's two decimals and ratios to
its six (the expected value is the exact fraction rounded half away from zero
to that scale, so the comparison is exact).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from fractions import Fraction
from statistics import median

import pandas as pd
import pytest
from published_imports import CENT, DATASETS, published, ratio, rounded

pytestmark = pytest.mark.xdist_group("tieout_b")

NAME = "olist_marketing_funnel"
SOURCE = DATASETS / NAME

if not SOURCE.is_dir():
    pytest.skip(f"public dataset {NAME} not found in {DATASETS}", allow_module_level=True)

ZERO = Decimal("0.00")

#: The export's clock (docs/import.md): São Paulo local time, stored as UTC.
TIMEZONE = "America/Sao_Paulo"

#: Choice (docs/import.md): how the seed groups Olist's origins into the
#: catalogue's lead sources (M1) and channel groups (M4). 'unknown' and a
#: blank origin are no source at all.
ORIGINS = {
    "organic_search": ("web", "earned"),
    "paid_search": ("web", "paid"),
    "social": ("social", "earned"),
    "direct_traffic": ("web", "owned"),
    "email": ("web", "owned"),
    "referral": ("referral", "earned"),
    "other": ("other", "owned"),
    "display": ("web", "paid"),
    "other_publicities": ("other", "paid"),
}
#: The member leads without a source are reported under.
NO_SOURCE = "unknown"
#: Every lead source of the catalogue (M1) is a member of the leads mart,
#: with zeros where the export has none (sales team, here).
LEAD_SOURCES = ("web", "social", "sales_team", "referral", "other", NO_SOURCE)


def mean_days(days: list[int]) -> Decimal | None:
    return ratio(sum(days), len(days), CENT) if days else None


def median_days(days: list[int]) -> Decimal | None:
    """Median; with an even count the mean of the two middle values."""
    return rounded(Fraction(median(days)).limit_denominator(2), CENT) if days else None


def utc(local: pd.Series) -> pd.Series:
    """São Paulo wall-clock times as naive UTC timestamps. A midnight that
    daylight saving skips (2017-10-15) moves to the first minute that exists."""
    stamps = pd.to_datetime(local, format="ISO8601")
    aware = stamps.dt.tz_localize(TIMEZONE, nonexistent="shift_forward", ambiguous="raise")
    return aware.dt.tz_convert("UTC").dt.tz_localize(None)


def month_of(stamp) -> date | None:
    return None if pd.isna(stamp) else date(stamp.year, stamp.month, 1)


def days_between(start, end) -> int:
    """Choice (docs/import.md): days are calendar days between the UTC dates."""
    return (end.date() - start.date()).days


# --------------------------------------------------------------------------- the export


def read_leads() -> pd.DataFrame:
    """One row per marketing-qualified lead, with its closed deal where it has one."""
    mqls = pd.read_csv(
        SOURCE / "olist_marketing_qualified_leads_dataset.csv", dtype=str, keep_default_na=False
    )
    deals = pd.read_csv(SOURCE / "olist_closed_deals_dataset.csv", dtype=str, keep_default_na=False)
    leads = mqls.merge(deals, on="mql_id", how="left", validate="one_to_one").fillna("")
    origin = [None if o in ("", "unknown") else o for o in leads["origin"]]
    frame = pd.DataFrame(
        {"lead_id": leads["mql_id"], "raw_source": pd.Series(origin, dtype=object)}
    )
    frame["lead_source"] = [ORIGINS[o][0] if o else NO_SOURCE for o in origin]
    frame["channel_group"] = [ORIGINS[o][1] if o else NO_SOURCE for o in origin]
    frame["created_at"] = utc(leads["first_contact_date"])
    frame["cohort_month"] = frame["created_at"].map(month_of)
    frame["is_won"] = leads["won_date"] != ""
    frame["won_at"] = utc(leads["won_date"].replace("", None))
    frame["sdr"] = leads["sdr_id"].replace("", None)
    frame["sales_rep"] = leads["sr_id"].replace("", None)
    frame["segment"] = leads["business_segment"].replace("", None)
    frame["seller"] = leads["seller_id"].replace("", None)
    return frame


LEADS = read_leads()
LEADS["all"] = "all"


def read_deals(leads: pd.DataFrame) -> pd.DataFrame:
    """One won deal per closed lead. Choice (mapping, docs/import.md): the deal
    starts at its lead's first contact, or at its win when that is earlier."""
    deals = leads[leads["is_won"]].copy()
    deals["deal_created_at"] = deals[["created_at", "won_at"]].min(axis=1)
    deals["close_month"] = deals["won_at"].map(month_of)
    deals["cycle_days"] = [
        days_between(s, c) for s, c in zip(deals["deal_created_at"], deals["won_at"], strict=True)
    ]
    deals["lead_to_close_days"] = [
        days_between(s, c) for s, c in zip(deals["created_at"], deals["won_at"], strict=True)
    ]
    return deals


DEALS = read_deals(LEADS)
#: As-of date: the latest event in the data (the last win, UTC).
AS_OF = max(LEADS["created_at"].max(), DEALS["won_at"].max()).date()
MONTHS = [
    p.start_time.date()
    for p in pd.period_range(pd.Timestamp(LEADS["created_at"].min()), pd.Timestamp(AS_OF), freq="M")
]


def previous_month(month: date) -> date:
    return (pd.Timestamp(month) - pd.offsets.MonthBegin(1)).date()


# --------------------------------------------------------------------------- KPIs, one function each


def m1_leads_created(leads: pd.DataFrame, month: date) -> int:
    # M1 leads by source: leads created in the month (UTC date of first contact).
    return int((leads["cohort_month"] == month).sum())


def m1_leads_mom_growth(leads: pd.DataFrame, month: date) -> Decimal | None:
    # M1 month-over-month growth = (leads this month - last month) / last month;
    # null when last month had none (or is before the first month).
    now, before = m1_leads_created(leads, month), m1_leads_created(leads, previous_month(month))
    return ratio(now - before, before)


def months_back(month: date, n: int) -> date:
    return (pd.Timestamp(month) - pd.offsets.MonthBegin(n)).date() if n else month


def m1_leads_qoq_growth(leads: pd.DataFrame, month: date) -> Decimal | None:
    # M1 quarter-over-quarter growth. Choice (docs/import.md): the trailing
    # three months (this and the two before) against the three before them;
    # null when those had no leads.
    now = sum(m1_leads_created(leads, months_back(month, n)) for n in range(3))
    before = sum(m1_leads_created(leads, months_back(month, n)) for n in range(3, 6))
    return ratio(now - before, before)


def m1_leads_yoy_growth(leads: pd.DataFrame, month: date) -> Decimal | None:
    # M1 year-over-year growth: against the same month a year earlier; null
    # when that month had no leads.
    now, before = m1_leads_created(leads, month), m1_leads_created(leads, months_back(month, 12))
    return ratio(now - before, before)


def m2_qualification_rate(leads: pd.DataFrame, month: date) -> Decimal | None:
    # M2 qualification rate = leads qualified / leads identified in the month:
    # every Olist lead is marketing-qualified at its first contact.
    n = m1_leads_created(leads, month)
    return ratio(n, n)


def cohort(leads: pd.DataFrame, month: date) -> pd.DataFrame:
    return leads[leads["cohort_month"] == month]


def m3_leads_won(leads: pd.DataFrame, month: date) -> int:
    # M3 funnel: leads of the cohort month that led to a won deal (at any later time).
    return int(cohort(leads, month)["is_won"].sum())


def m3_leads_with_opportunity(leads: pd.DataFrame, month: date) -> int:
    # M3 funnel: leads of the cohort month with an opportunity; every Olist
    # opportunity is a won deal, so the same leads.
    return m3_leads_won(leads, month)


def m3_lead_to_won_rate(leads: pd.DataFrame, month: date) -> Decimal | None:
    # M3 lead -> won rate = leads won / leads created in the cohort month.
    return ratio(m3_leads_won(leads, month), m1_leads_created(leads, month))


def m3_opportunity_to_won_rate(leads: pd.DataFrame, month: date) -> Decimal | None:
    # M3 opportunity -> won rate = leads won / leads with an opportunity.
    return ratio(m3_leads_won(leads, month), m3_leads_with_opportunity(leads, month))


def m3_mean_days_to_won(leads: pd.DataFrame, month: date) -> Decimal | None:
    # M3 mean days to convert: lead creation -> won close, over the cohort's won leads.
    won = cohort(leads, month)
    won = won[won["is_won"]]
    return mean_days(
        [days_between(s, c) for s, c in zip(won["created_at"], won["won_at"], strict=True)]
    )


def m3_mean_days_to_opportunity(leads: pd.DataFrame, month: date) -> Decimal | None:
    # M3 mean days lead creation -> opportunity creation (the deal's start, which
    # is the first contact, or the win when earlier).
    won = cohort(leads, month)
    won = won[won["is_won"]]
    starts = won[["created_at", "won_at"]].min(axis=1)
    return mean_days([days_between(s, c) for s, c in zip(won["created_at"], starts, strict=True)])


def won_in(deals: pd.DataFrame, month: date) -> pd.DataFrame:
    return deals[deals["close_month"] == month]


def s2_won_revenue(deals: pd.DataFrame, month: date) -> Decimal | None:
    # S2 won revenue: the export has no deal value, so unknown (null) wherever a
    # deal was won; 0 only where none was.
    return ZERO if won_in(deals, month).empty else None


def s2_won_with_amount(deals: pd.DataFrame, month: date) -> int:
    # Beside S2: won deals with an amount (none in this export).
    return 0


def s3_average_deal_size(deals: pd.DataFrame, month: date) -> Decimal | None:
    # S3 = S2 / S1 over deals with an amount: null, no deal has one.
    return None


def m3_won_revenue(leads: pd.DataFrame, month: date) -> Decimal | None:
    # M3 won revenue of the cohort: null where the cohort won deals (no amounts).
    return ZERO if m3_leads_won(leads, month) == 0 else None


def s1_won_count(deals: pd.DataFrame, month: date) -> int:
    # S1 deal count: won deals whose (UTC) close date falls in the month.
    return len(won_in(deals, month))


def s4_win_rate(deals: pd.DataFrame, month: date) -> Decimal | None:
    # S4 win rate = won / (won + lost): the export holds won deals only.
    n_won = len(won_in(deals, month))
    return ratio(n_won, n_won)


def s5_leads_created(leads: pd.DataFrame, month: date) -> int:
    # S5 denominator: leads created in the cohort month.
    return m1_leads_created(leads, month)


def s5_leads_won(leads: pd.DataFrame, month: date) -> int:
    # S5 numerator: leads of the cohort month that later led to a won deal.
    return m3_leads_won(leads, month)


def s5_close_rate(leads: pd.DataFrame, month: date) -> Decimal | None:
    # S5 close rate = leads won / leads created, per cohort month.
    return ratio(s5_leads_won(leads, month), s5_leads_created(leads, month))


def s6_cycle_mean(deals: pd.DataFrame, month: date) -> Decimal | None:
    # S6 sales cycle: mean days from opportunity creation to won close, deals won in the month.
    return mean_days(list(won_in(deals, month)["cycle_days"]))


def s6_cycle_median(deals: pd.DataFrame, month: date) -> Decimal | None:
    return median_days(list(won_in(deals, month)["cycle_days"]))


def s6_lead_to_close_mean(deals: pd.DataFrame, month: date) -> Decimal | None:
    # S6 also: days from (first) lead creation to won close.
    return mean_days(list(won_in(deals, month)["lead_to_close_days"]))


def s6_lead_to_close_median(deals: pd.DataFrame, month: date) -> Decimal | None:
    return median_days(list(won_in(deals, month)["lead_to_close_days"]))


def m4_opportunities_created(deals: pd.DataFrame, month: date) -> int:
    # M4 / M9 opportunities created in the month (the deal's start, UTC).
    return int((deals["deal_created_at"].map(month_of) == month).sum())


def first_wins(deals: pd.DataFrame) -> pd.DataFrame:
    """One row per customer (seller) at its first won deal."""
    return deals.sort_values("won_at").groupby("seller").head(1)


def c1_new_customers(deals: pd.DataFrame, month: date) -> int:
    # C1 new customers: sellers whose first won deal falls in the month.
    return int((first_wins(deals)["close_month"] == month).sum())


def m6_new_customers_with_lead(deals: pd.DataFrame, month: date) -> int:
    # M6 base. Choice (docs/import.md): a customer's first lead is one created
    # on or before its first win; the seller whose lead came two days after
    # its win has none.
    first = first_wins(deals)
    first = first[first["close_month"] == month]
    return int((first["created_at"] <= first["won_at"]).sum())


def m6_referral_customers(deals: pd.DataFrame, month: date) -> int:
    # M6 referral customers: new customers whose first lead came from a referral.
    first = first_wins(deals)
    first = first[(first["close_month"] == month) & (first["created_at"] <= first["won_at"])]
    return int((first["lead_source"] == "referral").sum())


def balance_date(month: date) -> date:
    """The month's end, or the as-of date in the as-of month."""
    return min((pd.Timestamp(month) + pd.offsets.MonthEnd(0)).date(), AS_OF)


def active_customers(deals: pd.DataFrame, day: date) -> set[str]:
    """C2: sellers with a won deal in the 12 months up to `day` (no orders or
    contracts in this export)."""
    start = (pd.Timestamp(day) - pd.DateOffset(months=12)).date()
    won_dates = deals["won_at"].dt.date
    return set(deals.loc[(won_dates > start) & (won_dates <= day), "seller"])


def c2_active_at_start(deals: pd.DataFrame, month: date) -> int:
    # C2 active at the start of the month: active at the previous month's end.
    return len(active_customers(deals, month - pd.Timedelta(days=1)))


def c2_active_at_end(deals: pd.DataFrame, month: date) -> int:
    return len(active_customers(deals, balance_date(month)))


def c2_retained(deals: pd.DataFrame, month: date) -> int:
    start = active_customers(deals, month - pd.Timedelta(days=1))
    return len(start & active_customers(deals, balance_date(month)))


def c2_retention_rate(deals: pd.DataFrame, month: date) -> Decimal | None:
    # C2 retention rate = retained / active at start.
    return ratio(c2_retained(deals, month), c2_active_at_start(deals, month))


# --------------------------------------------------------------------------- expected figures

#: kpi_sales_monthly dimension_name -> the column of LEADS/DEALS holding its member.
SALES_DIMENSIONS = {
    "all": "all",
    "owner": "sales_rep",
    "lead_source": "lead_source",
    "channel_group": "channel_group",
}

#: (KPI id, mart column, function, over deals (True) or leads (False), dimensions)
SALES_KPIS = [
    (
        "S1",
        "opportunities_won",
        s1_won_count,
        True,
        ("all", "owner", "lead_source", "channel_group"),
    ),
    ("S2", "won_revenue", s2_won_revenue, True, ("all", "lead_source")),
    ("S2", "opportunities_won_with_amount", s2_won_with_amount, True, ("all",)),
    ("S3", "won_revenue_mean", s3_average_deal_size, True, ("all",)),
    ("S4", "win_rate", s4_win_rate, True, ("all",)),
    ("S5", "leads_created", s5_leads_created, False, ("all", "lead_source", "channel_group")),
    ("S5", "leads_won", s5_leads_won, False, ("all", "lead_source", "channel_group")),
    ("S5", "close_rate", s5_close_rate, False, ("all", "lead_source", "channel_group")),
    ("S6", "sales_cycle_days_mean", s6_cycle_mean, True, ("all", "owner", "lead_source")),
    ("S6", "sales_cycle_days_median", s6_cycle_median, True, ("all", "lead_source")),
    ("S6", "lead_to_close_days_mean", s6_lead_to_close_mean, True, ("all", "lead_source")),
    ("S6", "lead_to_close_days_median", s6_lead_to_close_median, True, ("all", "lead_source")),
    ("M9", "opportunities_created", m4_opportunities_created, True, ("all", "lead_source")),
]

MARKETING_LEADS_KPIS = [
    ("M1", "leads_created", m1_leads_created),
    ("M1", "leads_mom_growth", m1_leads_mom_growth),
    ("M1", "leads_qoq_growth", m1_leads_qoq_growth),
    ("M1", "leads_yoy_growth", m1_leads_yoy_growth),
    ("M2", "qualification_rate", m2_qualification_rate),
]

FUNNEL_KPIS = [
    ("M3", "leads_with_opportunity", m3_leads_with_opportunity),
    ("M3", "leads_won", m3_leads_won),
    ("M3", "lead_to_won_rate", m3_lead_to_won_rate),
    ("M3", "opportunity_to_won_rate", m3_opportunity_to_won_rate),
    ("M3", "days_to_won_mean", m3_mean_days_to_won),
    ("M3", "days_to_opportunity_mean", m3_mean_days_to_opportunity),
    ("M3", "won_revenue", m3_won_revenue),
]


def sales_figures() -> dict[tuple, object]:
    """(kpi, column, dimension, member, month) -> expected value in kpi_sales_monthly."""
    figures = {}
    for kpi_id, column, compute, on_deals, dimensions in SALES_KPIS:
        for dimension in dimensions:
            rows = DEALS if on_deals else LEADS
            key_column = SALES_DIMENSIONS[dimension]
            # Members: the dimension's values among the deals (leads of a source
            # that never won still make the source a member for S5).
            members = sorted(set((DEALS if dimension == "owner" else LEADS)[key_column].dropna()))
            for member in members:
                subset = rows[rows[key_column] == member]
                for month in MONTHS:
                    figures[(kpi_id, column, dimension, member, month)] = compute(subset, month)
    return figures


def per_source_figures(kpis, sources) -> dict[tuple, object]:
    """(kpi, column, lead_source, month) -> expected value in a marketing mart."""
    figures = {}
    for kpi_id, column, compute in kpis:
        for source in sources:
            subset = LEADS[LEADS["lead_source"] == source]
            for month in MONTHS:
                figures[(kpi_id, column, source, month)] = compute(subset, month)
    return figures


#: (KPI, column, function) of kpi_marketing_channel_groups_monthly, per channel group.
CHANNEL_GROUP_KPIS = [
    ("M4", "leads_created", m1_leads_created, False),
    ("M4", "opportunities_created", m4_opportunities_created, True),
    ("M4", "opportunities_won", s1_won_count, True),
    ("M4", "won_revenue", s2_won_revenue, True),
]
#: (KPI, table, column, function) of the whole-company customer marts.
CUSTOMER_KPIS = [
    ("C1", "customers.kpi_customer_retention_monthly", "new_customers", c1_new_customers),
    (
        "C2",
        "customers.kpi_customer_retention_monthly",
        "active_customers_at_start",
        c2_active_at_start,
    ),
    ("C2", "customers.kpi_customer_retention_monthly", "active_customers_at_end", c2_active_at_end),
    ("C2", "customers.kpi_customer_retention_monthly", "retained_customers", c2_retained),
    ("C2", "customers.kpi_customer_retention_monthly", "retention_rate", c2_retention_rate),
    ("M6", "marketing.kpi_marketing_referral_customers_monthly", "new_customers", c1_new_customers),
    (
        "M6",
        "marketing.kpi_marketing_referral_customers_monthly",
        "new_customers_with_lead",
        m6_new_customers_with_lead,
    ),
    (
        "M6",
        "marketing.kpi_marketing_referral_customers_monthly",
        "referral_customers",
        m6_referral_customers,
    ),
]


def channel_group_figures() -> dict[tuple, object]:
    """(kpi, column, channel group, month) -> expected value."""
    figures = {}
    for kpi_id, column, compute, on_deals in CHANNEL_GROUP_KPIS:
        rows = DEALS if on_deals else LEADS
        for group in sorted(set(LEADS["channel_group"])):
            for month in MONTHS:
                figures[(kpi_id, column, group, month)] = compute(
                    rows[rows["channel_group"] == group], month
                )
    return figures


def customer_figures() -> dict[tuple, object]:
    """(kpi, table, column, month) -> expected value."""
    return {
        (kpi_id, table, column, month): compute(DEALS, month)
        for kpi_id, table, column, compute in CUSTOMER_KPIS
        for month in MONTHS
    }


CHANNEL_GROUP_FIGURES = channel_group_figures()
CUSTOMER_FIGURES = customer_figures()
SALES_FIGURES = sales_figures()
LEADS_FIGURES = per_source_figures(MARKETING_LEADS_KPIS, LEAD_SOURCES)
FUNNEL_FIGURES = per_source_figures(
    FUNNEL_KPIS, [s for s in LEAD_SOURCES if (LEADS["lead_source"] == s).any()]
)


def per_member_counts(frame: pd.DataFrame, column: str) -> dict[str, int]:
    return {str(k): int(v) for k, v in frame[column].value_counts(dropna=False).items()}


#: (KPI, figure, member) -> (SQL on the marts returning one value, expected)
MEMBER_FIGURES: dict[tuple, tuple[str, object]] = {}
for sdr, n in per_member_counts(DEALS, "sdr").items():
    # M3 per SDR: converted leads of each SDR (the lead's owner in the export).
    MEMBER_FIGURES[("M3", "leads converted", f"sdr={sdr}")] = (
        f"select count(*) from core.fct_leads where is_won and owner_rep_id = '{sdr}'",
        n,
    )
for rep, n in per_member_counts(DEALS, "sales_rep").items():
    # S1 per sales rep over the whole export.
    MEMBER_FIGURES[("S1", "won deals", f"sales_rep={rep}")] = (
        f"select count(*) from core.fct_opportunities where is_won and owner_rep_id = '{rep}'",
        n,
    )
for segment, rows in DEALS.groupby(DEALS["segment"].fillna("(none)")):
    # S1 and S6 per business segment (the seller's industry).
    condition = "a.industry is null" if segment == "(none)" else f"a.industry = '{segment}'"
    join = "core.fct_opportunities as o join core.dim_accounts as a using (account_id)"
    MEMBER_FIGURES[("S1", "won deals", f"segment={segment}")] = (
        f"select count(*) from {join} where o.is_won and {condition}",
        len(rows),
    )
    MEMBER_FIGURES[("S6", "sales cycle days total", f"segment={segment}")] = (
        f"select sum(o.sales_cycle_days) from {join} where o.is_won and {condition}",
        int(rows["cycle_days"].sum()),
    )
for raw, n in per_member_counts(LEADS, "raw_source").items():
    # M1 per raw origin: the export's own value survives to fct_leads
    # (null for a blank or 'unknown' origin).
    condition = "raw_lead_source is null" if raw == "None" else f"raw_lead_source = '{raw}'"
    MEMBER_FIGURES[("M1", "leads", f"origin={raw}")] = (
        f"select count(*) from core.fct_leads where {condition}",
        n,
    )

#: Whole-export figures.
TOTALS: dict[tuple, tuple[str, object]] = {
    ("M1", "leads", "all"): ("select count(*) from core.fct_leads", len(LEADS)),
    ("M3", "leads won", "all"): (
        "select count(*) from core.fct_leads where is_won",
        int(LEADS["is_won"].sum()),
    ),
    ("S1", "won deals", "all"): (
        "select count(*) from core.fct_opportunities where is_won",
        len(DEALS),
    ),
    ("S2", "won deals without an amount", "all"): (
        "select count(*) from core.fct_opportunities where is_won and amount is null",
        len(DEALS),
    ),
    ("S2", "won revenue", "all"): (
        "select sum(won_revenue) filter (where opportunities_won > 0) from sales.kpi_sales_monthly"
        " where dimension_name = 'all'",
        None,
    ),
    ("C1", "sellers (accounts)", "all"): (
        "select count(*) from core.dim_accounts",
        DEALS["seller"].nunique(),
    ),
    ("A", "reps (SDRs and sales reps)", "all"): (
        "select count(*) from core.dim_reps",
        len(set(DEALS["sdr"].dropna()) | set(DEALS["sales_rep"].dropna())),
    ),
    ("DQ", "leads without a lead source", "all"): (
        # A missing lead source is a data-quality issue of the leads table.
        "select coalesce(sum(records_affected), 0) from data_quality.dq_issues"
        " where table_name = 'leads' and column_name = 'lead_source' and issue_type ilike '%missing%'",
        int(LEADS["raw_source"].isna().sum()),
    ),
}


# --------------------------------------------------------------------------- H2 pipeline waterfall


def waterfall_figures(deals: pd.DataFrame) -> dict[tuple, int | Decimal | None]:
    """H2 per month of the spine, from the deals alone. Olist shows each deal
    only won: it was open from its creation (first contact, or its win when
    earlier) to its win. Open at the start of a month: created before the
    month's first instant, won at or after it; open at the end: created
    before, and won at or after, the day after the balance date (the month
    end; the as-of date in the as-of month). The export has no amounts, so
    every amount of a month with deals is unknown (null), 0.00 without."""
    figures: dict[tuple, int | Decimal | None] = {}
    created, won = deals["deal_created_at"], deals["won_at"]
    for month in MONTHS:
        start = pd.Timestamp(month)
        next_start = start + pd.offsets.MonthBegin(1)
        end = min(next_start, pd.Timestamp(AS_OF) + pd.Timedelta(days=1))
        counts = {
            "opening_count": int(((created < start) & (won >= start)).sum()),
            "created_count": int(((created >= start) & (created < end)).sum()),
            "won_count": int(((won >= start) & (won < end)).sum()),
            "closing_count": int(((created < end) & (won >= end)).sum()),
        }
        for column, count in counts.items():
            figures[("H2", column, "all", "all", month)] = count
            amount = column.replace("_count", "_amount")
            figures[("H2", amount, "all", "all", month)] = None if count else ZERO
        figures[("H2", "lost_count", "all", "all", month)] = 0
        figures[("H2", "data_status", "all", "all", month)] = "in this export"
    return figures


WATERFALL_FIGURES = waterfall_figures(DEALS)


def _id(key: tuple) -> str:
    *head, month = key
    return "-".join(str(part) for part in head) + f"-{month:%Y-%m}"


# --------------------------------------------------------------------------- the marts


def rows_by_key(imported, sql: str, key_columns: int) -> dict[tuple, dict]:
    """Rows of `sql` (exact values: Decimal, int, None) indexed by their first
    `key_columns` columns."""
    con_rows = imported.query(sql)
    frame_columns = list(imported.frame(f"select * from ({sql}) limit 0").columns)
    return {
        tuple(row[:key_columns]): dict(zip(frame_columns, row, strict=True)) for row in con_rows
    }


@pytest.fixture(scope="module")
def marts(tmp_path_factory: pytest.TempPathFactory):
    """The import, built once, and its marts indexed by key."""
    imported = published(NAME, tmp_path_factory)
    return {
        "imported": imported,
        "sales": rows_by_key(
            imported,
            "select dimension_name, dimension_value, month_start_date, * from sales.kpi_sales_monthly",
            3,
        ),
        "leads": rows_by_key(
            imported,
            "select lead_source, month_start_date, * from marketing.kpi_marketing_leads_monthly",
            2,
        ),
        "channel_groups": rows_by_key(
            imported,
            "select channel_group, month_start_date, * from marketing.kpi_marketing_channel_groups_monthly",
            2,
        ),
        "customers": {
            table: rows_by_key(imported, f"select month_start_date, * from {table}", 1)
            for table in sorted({table for _, table, _, _ in CUSTOMER_KPIS})
        },
        "funnel": rows_by_key(
            imported,
            "select lead_source, month_start_date, * from marketing.kpi_marketing_funnel_monthly",
            2,
        ),
        "waterfall": rows_by_key(
            imported,
            "select dimension_name, dimension_value, month_start_date, *"
            " from sales.kpi_sales_pipeline_waterfall_monthly",
            3,
        ),
    }


def exact(value):
    """A mart value as int / Decimal / None; a float would hide rounding."""
    if isinstance(value, float):
        raise AssertionError(f"float in the marts: {value!r}")
    return value


def test_months_and_as_of_date(marts) -> None:
    """The month spine runs from the first lead's month (2017-06) to the as-of
    month, that of the latest event in the data (the last win, 2018-11-14 UTC)."""
    months = sorted(month for (dimension, _, month) in marts["sales"] if dimension == "all")
    assert months == MONTHS
    as_of = [m for (d, _, m), row in marts["sales"].items() if d == "all" and row["is_as_of_month"]]
    assert as_of == [AS_OF.replace(day=1)]


@pytest.mark.parametrize("key", sorted(SALES_FIGURES), ids=_id)
def test_sales_monthly(marts, key) -> None:
    kpi_id, column, dimension, member, month = key
    expected = SALES_FIGURES[key]
    row = marts["sales"].get((dimension, member, month))
    assert row is not None, (
        f"{kpi_id} {column}: kpi_sales_monthly has no row for {dimension}={member}, {month:%Y-%m}"
    )
    actual = exact(row[column])
    assert actual == expected, (
        f"{kpi_id} {column} for {dimension}={member}, {month:%Y-%m}: expected {expected}, mart has {actual}"
    )


@pytest.mark.parametrize("key", sorted(LEADS_FIGURES), ids=_id)
def test_leads_by_source_monthly(marts, key) -> None:
    kpi_id, column, source, month = key
    expected = LEADS_FIGURES[key]
    row = marts["leads"].get((source, month))
    assert row is not None, (
        f"{kpi_id} {column}: kpi_marketing_leads_monthly has no row for {source}, {month:%Y-%m}"
    )
    actual = exact(row[column])
    assert actual == expected, (
        f"{kpi_id} {column} for lead_source={source}, {month:%Y-%m}: expected {expected}, mart has {actual}"
    )


@pytest.mark.parametrize("key", sorted(FUNNEL_FIGURES), ids=_id)
def test_funnel_by_source_cohort(marts, key) -> None:
    kpi_id, column, source, month = key
    expected = FUNNEL_FIGURES[key]
    row = marts["funnel"].get((source, month))
    assert row is not None, (
        f"{kpi_id} {column}: kpi_marketing_funnel_monthly has no row for {source}, {month:%Y-%m}"
    )
    actual = exact(row[column])
    assert actual == expected, (
        f"{kpi_id} {column} for lead_source={source}, cohort {month:%Y-%m}: expected {expected}, mart has {actual}"
    )


@pytest.mark.parametrize("key", sorted(MEMBER_FIGURES), ids="-".join)
def test_per_member(marts, key) -> None:
    sql, expected = MEMBER_FIGURES[key]
    actual = exact(marts["imported"].query(sql)[0][0])
    assert actual == expected, (
        f"{key[0]} {key[1]} for {key[2]}: expected {expected}, mart has {actual}"
    )


@pytest.mark.parametrize("key", sorted(TOTALS), ids="-".join)
def test_totals(marts, key) -> None:
    sql, expected = TOTALS[key]
    actual = exact(marts["imported"].query(sql)[0][0])
    assert actual == expected, f"{key[0]} {key[1]}: expected {expected}, mart has {actual}"


@pytest.mark.parametrize("key", sorted(CHANNEL_GROUP_FIGURES), ids=_id)
def test_channel_groups_monthly(marts, key) -> None:
    kpi_id, column, group, month = key
    expected = CHANNEL_GROUP_FIGURES[key]
    row = marts["channel_groups"].get((group, month))
    assert row is not None, (
        f"{kpi_id} {column}: kpi_marketing_channel_groups_monthly has no row for {group}, {month:%Y-%m}"
    )
    actual = exact(row[column])
    assert actual == expected, (
        f"{kpi_id} {column} for channel_group={group}, {month:%Y-%m}: expected {expected}, mart has {actual}"
    )


@pytest.mark.parametrize("key", sorted(CUSTOMER_FIGURES), ids=_id)
def test_customers_monthly(marts, key) -> None:
    kpi_id, table, column, month = key
    expected = CUSTOMER_FIGURES[key]
    row = marts["customers"][table].get((month,))
    assert row is not None, f"{kpi_id} {column}: {table} has no row for {month:%Y-%m}"
    actual = exact(row[column])
    assert actual == expected, (
        f"{kpi_id} {column} ({table}), {month:%Y-%m}: expected {expected}, mart has {actual}"
    )


@pytest.mark.parametrize("key", sorted(WATERFALL_FIGURES), ids=_id)
def test_pipeline_waterfall_monthly(marts, key) -> None:
    """H2 on an export that shows deals only as they ended: each won deal is
    created and won in the waterfall, open in between (a past bug: it was
    'won since creation' and never in the waterfall)."""
    kpi_id, column, dimension, member, month = key
    expected = WATERFALL_FIGURES[key]
    row = marts["waterfall"].get((dimension, member, month))
    assert row is not None, (
        f"{kpi_id}: the waterfall has no row for {dimension}={member}, {month:%Y-%m}"
    )
    actual = exact(row[column])
    assert actual == expected, (
        f"{kpi_id} {column} for {dimension}={member}, {month:%Y-%m}: expected {expected}, mart has {actual}"
    )
