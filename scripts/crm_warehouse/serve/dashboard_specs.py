"""What the KPI dashboard draws: its headline cards (`KpiSpec`) and charts
(`ChartSpec`), each with the SQL it runs on the published marts file, the marts
it reads and the entities of the raw contract it is computed from.

To add a chart, add a spec to CHARTS (or a card to KPIS) and regenerate
models/exposures.yml (crm_warehouse.serve.exposures); serve.dashboard draws it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

ChartKind = Literal["bar", "stacked", "hbar", "line", "bar+line", "table"]
Fmt = Literal["money", "rate", "count", "days", "number"]


@dataclass(frozen=True)
class KpiSpec:
    """A headline number: `sql` returns one row (value, period label[, why the
    value is null]). `entities` are the raw contract tables it is computed
    from: all of them (or, with `require="any"`, one) must be in the export."""

    key: str
    label: str
    tables: tuple[str, ...]
    sql: str
    fmt: Fmt
    definition: str
    entities: tuple[str, ...] = ()
    require: Literal["all", "any"] = "all"


@dataclass(frozen=True)
class ChartSpec:
    """One chart. `sql` returns the columns named by x, y, y2 and color."""

    key: str
    title: str
    kind: ChartKind
    tables: tuple[str, ...]
    sql: str
    x: str
    y: tuple[str, ...]
    definition: str
    color: str | None = None
    y2: str | None = None
    y_fmt: Fmt = "number"
    y2_fmt: Fmt = "number"
    labels: dict[str, str] = field(default_factory=dict)
    #: Title of the value axis when it plots one colour-split series.
    y_title: str = ""
    #: Raw contract tables the chart is computed from (see KpiSpec.entities).
    entities: tuple[str, ...] = ()
    require: Literal["all", "any"] = "all"


# --------------------------------------------------------------------------- specs
# The SQL runs on the published file (DuckDB). The dates come from the marts'
# as-of date (core.dim_dates), never from today's date: the same data draws the
# same page on any day. Headline numbers are for the last full month (the
# as-of month is usually partial), the win rate for the 12 months to it, the
# open pipeline at the as-of date; each card and summary line names its period.
# A third column, where given, says why a null value is null.

#: The as-of date of the build: the last day not after it in core.dim_dates.
AS_OF_DATE = "(select max(date_day) from core.dim_dates where not is_after_as_of_date)"
#: First day of the last month that ended on or before the as-of date.
LAST_FULL_MONTH = (
    f"(select max(month_start_date) from core.dim_dates where month_end_date <= {AS_OF_DATE})"
)


def _since(table: str, months: int) -> str:
    """Predicate: month_start_date within the last `months` months of `table`."""
    return (
        f"month_start_date > (select max(month_start_date) from {table}) - interval {months} month"
    )


def _trailing(months: int) -> str:
    """Predicate: month_start_date within the `months` months ending with the last full month."""
    return (
        f"month_start_date > {LAST_FULL_MONTH} - interval {months} month "
        f"and month_start_date <= {LAST_FULL_MONTH}"
    )


_SALES = "sales.kpi_sales_monthly"
_PIPELINE = "sales.kpi_sales_pipeline_monthly"
_PARTNERS = "partners.kpi_partner_scorecard_monthly"
_FUNNEL = "marketing.kpi_marketing_funnel_monthly"
_RETENTION = "customers.kpi_customer_retention_monthly"
_RECEIVABLES = "finance.kpi_receivables_monthly"
_SERVICE = "service.kpi_service_cases_monthly"
_DATES = "core.dim_dates"
_WATERFALL = "sales.kpi_sales_pipeline_waterfall_monthly"
_MRR = "finance.kpi_mrr_movements_monthly"
_MONTH_LABEL = "strftime(month_start_date, '%B %Y')"

KPIS: tuple[KpiSpec, ...] = (
    KpiSpec(
        key="won_revenue",
        label="Won revenue",
        tables=(_SALES, _DATES),
        sql=f"select won_revenue, {_MONTH_LABEL}, "
        "case when won_revenue is null and opportunities_won > 0 then 'no amount on its ' "
        "|| opportunities_won || ' won deal(s)' end "
        f"from {_SALES} where dimension_name = 'all' and month_start_date = {LAST_FULL_MONTH}",
        fmt="money",
        definition="S2: sum of the amounts of deals won in the last full month.",
        entities=("opportunities",),
    ),
    KpiSpec(
        key="opportunities_won",
        label="Deals won",
        tables=(_SALES, _DATES),
        sql=f"select opportunities_won, {_MONTH_LABEL} from {_SALES} "
        f"where dimension_name = 'all' and month_start_date = {LAST_FULL_MONTH}",
        fmt="count",
        definition="S1: closed-won opportunities in the last full month.",
        entities=("opportunities",),
    ),
    KpiSpec(
        key="won_revenue_mean",
        label="Average deal size",
        tables=(_SALES, _DATES),
        sql=f"select won_revenue_mean, {_MONTH_LABEL}, "
        "case when opportunities_won = 0 then 'no deal won' "
        "when opportunities_won_with_amount = 0 then 'no won deal has an amount' end "
        f"from {_SALES} where dimension_name = 'all' and month_start_date = {LAST_FULL_MONTH}",
        fmt="money",
        definition="S3: won revenue / deals won with an amount (won deals whose amount is "
        "unknown are left out of both), last full month.",
        entities=("opportunities",),
    ),
    KpiSpec(
        key="win_rate",
        label="Win rate",
        tables=(_SALES, _DATES),
        sql="select cast(sum(opportunities_won) as double) / nullif(sum(opportunities_won + opportunities_lost), 0), "
        f"'12 months to ' || strftime({LAST_FULL_MONTH}, '%B %Y'), "
        "case when coalesce(sum(opportunities_won + opportunities_lost), 0) = 0 then 'no deal closed' end "
        f"from {_SALES} where dimension_name = 'all' and {_trailing(12)}",
        fmt="rate",
        definition="S4: deals won / (won + lost), by count, over the 12 months to the last full month.",
        entities=("opportunities",),
    ),
    KpiSpec(
        key="open_pipeline",
        label="Open pipeline",
        tables=(_SALES, _DATES),
        sql=f"select open_pipeline_amount, 'at ' || strftime({AS_OF_DATE}, '%Y-%m-%d'), "
        "case when open_pipeline_amount is null and open_pipeline_opportunities > 0 "
        "then 'no amount on its ' || open_pipeline_opportunities || ' open deal(s)' end "
        f"from {_SALES} where dimension_name = 'all' "
        f"and month_start_date = (select max(month_start_date) from {_SALES})",
        fmt="money",
        definition="S7: amount of the opportunities open at the as-of date.",
        entities=("opportunities",),
    ),
    KpiSpec(
        key="retention_rate",
        label="Customer retention",
        tables=(_RETENTION, _DATES),
        sql=f"select retention_rate, {_MONTH_LABEL}, "
        "case when active_customers_at_start = 0 then 'no active customer at the month start' end "
        f"from {_RETENTION} where month_start_date = {LAST_FULL_MONTH}",
        fmt="rate",
        definition="C2: customers active at the start and the end of the month / active at its start.",
        entities=("contracts", "opportunities", "orders"),
        require="any",
    ),
    KpiSpec(
        key="dso",
        label="Days sales outstanding",
        tables=(_RECEIVABLES, _DATES),
        sql=f"select days_sales_outstanding, {_MONTH_LABEL}, "
        "case when invoiced_trailing_90d_amount = 0 then 'nothing invoiced in the 90 days' end "
        f"from {_RECEIVABLES} where month_start_date = {LAST_FULL_MONTH}",
        fmt="days",
        definition="F3: receivables at month end / amount invoiced in the trailing 90 days × 90.",
        entities=("invoices",),
    ),
    KpiSpec(
        key="sla_compliance_rate",
        label="SLA compliance",
        tables=(_SERVICE, _DATES),
        sql=f"select sla_compliance_rate, {_MONTH_LABEL}, "
        "case when sla_cases_due = 0 and resolution_sla_cases_due > 0 then "
        "'no case can be judged on both targets: the export records no first response "
        "(resolution SLA ' || coalesce(cast(round(100 * resolution_sla_compliance_rate, 1) "
        "as varchar) || '%', 'unknown') || ')' end "
        f"from {_SERVICE} where month_start_date = {LAST_FULL_MONTH}",
        fmt="rate",
        definition="V8: cases that met both their priority's targets (first response and "
        "resolution) / cases whose targets fell due and can be judged.",
        entities=("support_cases",),
    ),
)

CHARTS: tuple[ChartSpec, ...] = (
    ChartSpec(
        key="won_revenue_monthly",
        title="Won revenue and average deal size by month",
        kind="bar+line",
        tables=(_SALES,),
        sql=f"select month_start_date, won_revenue, won_revenue_mean from {_SALES} "
        f"where dimension_name = 'all' and {_since(_SALES, 24)} order by month_start_date",
        x="month_start_date",
        y=("won_revenue",),
        y2="won_revenue_mean",
        y_fmt="money",
        y2_fmt="money",
        labels={"month_start_date": "month (of the close date)"},
        definition="S2 won revenue (bars) and S3 average deal size (line), last 24 months.",
        entities=("opportunities",),
    ),
    ChartSpec(
        key="pipeline_by_stage",
        title="Open pipeline by stage at month end",
        kind="stacked",
        tables=(_PIPELINE,),
        sql=f"select month_start_date, stage_name, open_pipeline_amount from {_PIPELINE} "
        f"where dimension_name = 'all' and {_since(_PIPELINE, 12)} and stage_name in ("
        f"select stage_name from {_PIPELINE} where dimension_name = 'all' "
        "group by stage_name having sum(open_pipeline_opportunities) > 0) "
        "order by month_start_date, stage_order",
        x="month_start_date",
        y=("open_pipeline_amount",),
        color="stage_name",
        y_fmt="money",
        y_title="open pipeline",
        labels={"month_start_date": "month end"},
        definition="S7: amount of the opportunities open at each month end, by the stage they "
        "were in on that date (stage history), last 12 months.",
        entities=("opportunities",),
    ),
    ChartSpec(
        key="funnel_by_lead_source",
        title="Funnel by lead source",
        kind="bar+line",
        tables=(_FUNNEL,),
        sql="select lead_source, sum(leads_created) as leads, "
        "sum(leads_with_opportunity) as with_opportunity, sum(leads_won) as won, "
        "cast(sum(leads_won) as double) / nullif(sum(leads_created), 0) as lead_to_won_rate "
        f"from {_FUNNEL} where {_since(_FUNNEL, 12)} "
        "group by lead_source order by leads desc",
        x="lead_source",
        y=("leads", "with_opportunity", "won"),
        y2="lead_to_won_rate",
        y_fmt="count",
        y2_fmt="rate",
        labels={
            "lead_source": "lead source",
            "with_opportunity": "led to an opportunity",
            "won": "led to a won deal",
            "lead_to_won_rate": "lead → won rate",
        },
        definition="M3: leads created in the last 12 cohort months by source, how many led to "
        "an opportunity and to a won deal (bars), and lead → won rate (line).",
        entities=("leads",),
    ),
    ChartSpec(
        key="win_rate_by_rep",
        title="Win rate by rep",
        kind="hbar",
        tables=(_SALES, _DATES),
        sql="select * from (select dimension_label as rep, "
        "cast(sum(opportunities_won) as double) / nullif(sum(opportunities_won + opportunities_lost), 0) as win_rate, "
        "sum(opportunities_won + opportunities_lost) as closed "
        f"from {_SALES} where dimension_name = 'owner' and {_trailing(12)} "
        "group by dimension_label having sum(opportunities_won + opportunities_lost) > 0 "
        "order by closed desc, rep limit 30) as busiest order by win_rate desc, rep",
        x="rep",
        y=("win_rate",),
        y_fmt="rate",
        definition="S4: deals won / (won + lost) by owner, by count, over the 12 months to the "
        "last full month (the 30 reps with the most closed deals).",
        entities=("opportunities",),
    ),
    ChartSpec(
        key="partner_scorecard",
        title="Partner scorecard",
        kind="table",
        tables=(_PARTNERS, _DATES),
        sql=f"""
        with last_12_months as (
            select
                partner_id,
                sum(opportunities_won) as deals_won_12m,
                cast(sum(opportunities_won) as double) / nullif(sum(opportunities_won + opportunities_lost), 0)
                    as win_rate_12m,
                cast(sum(registered_opportunities_won) as double) / nullif(sum(registered_opportunities), 0)
                    as deal_success_rate_12m
            from {_PARTNERS}
            where {_trailing(12)}
            group by partner_id
        )
        select
            latest.partner_name as partner,
            latest.partner_tier as tier,
            latest.quality_score,
            latest.quality_score_change,
            latest.won_revenue_trailing_12m as won_revenue_12m,
            last_12_months.deals_won_12m,
            last_12_months.win_rate_12m,
            last_12_months.deal_success_rate_12m,
            latest.open_pipeline_amount
        from {_PARTNERS} as latest
        inner join last_12_months on latest.partner_id = last_12_months.partner_id
        where latest.month_start_date = {LAST_FULL_MONTH}
        order by latest.quality_score desc nulls last, won_revenue_12m desc, partner
        limit 15
        """,
        x="partner",
        y=("won_revenue_12m",),
        labels={
            "quality_score": "quality score (0-100)",
            "quality_score_change": "change vs prior 12m",
            "won_revenue_12m": "won revenue 12m",
            "deals_won_12m": "deals won 12m",
            "win_rate_12m": "win rate 12m",
            "deal_success_rate_12m": "deal success 12m",
            "open_pipeline_amount": "open pipeline",
        },
        definition="Top 15 partners by quality score (percentile of trailing-12-month won "
        "revenue among active partners) at the last full month, with its change against the "
        "previous 12 months, win rate and deal success rate over 12 months, open pipeline.",
        entities=("partners", "opportunities"),
    ),
    ChartSpec(
        key="retention",
        title="Customer retention by month",
        kind="bar+line",
        tables=(_RETENTION,),
        sql="select month_start_date, active_customers_at_start, retention_rate "
        f"from {_RETENTION} where {_since(_RETENTION, 24)} order by month_start_date",
        x="month_start_date",
        y=("active_customers_at_start",),
        y2="retention_rate",
        y_fmt="count",
        y2_fmt="rate",
        labels={"month_start_date": "month", "active_customers_at_start": "active at start"},
        definition="C2: customers active at the start of the month (bars) and the share still "
        "active at its end (line), last 24 months.",
        entities=("contracts", "opportunities", "orders"),
        require="any",
    ),
    ChartSpec(
        key="receivables_aging",
        title="Receivables aging at month end",
        kind="stacked",
        tables=(_RECEIVABLES,),
        sql="select month_start_date, open_current_amount, open_1_30_amount, "
        "open_31_60_amount, open_61_90_amount, open_over_90_amount "
        f"from {_RECEIVABLES} where {_since(_RECEIVABLES, 12)} order by month_start_date",
        x="month_start_date",
        y=(
            "open_current_amount",
            "open_1_30_amount",
            "open_31_60_amount",
            "open_61_90_amount",
            "open_over_90_amount",
        ),
        y_fmt="money",
        y_title="open receivables",
        labels={
            "month_start_date": "month end",
            "open_current_amount": "current",
            "open_1_30_amount": "1-30 days past due",
            "open_31_60_amount": "31-60",
            "open_61_90_amount": "61-90",
            "open_over_90_amount": "over 90",
        },
        definition="F2: open receivables at each month end by days past due, last 12 months.",
        entities=("invoices",),
    ),
    ChartSpec(
        key="sla_compliance",
        title="SLA compliance by month",
        kind="line",
        tables=(_SERVICE,),
        sql="select month_start_date, sla_compliance_rate, resolution_sla_compliance_rate, "
        "source_sla_met_rate "
        f"from {_SERVICE} where {_since(_SERVICE, 24)} order by month_start_date",
        x="month_start_date",
        y=("sla_compliance_rate", "resolution_sla_compliance_rate", "source_sla_met_rate"),
        y_fmt="rate",
        labels={
            "month_start_date": "month",
            "sla_compliance_rate": "both targets",
            "resolution_sla_compliance_rate": "resolution target",
            "source_sla_met_rate": "the export's own SLA flag",
        },
        definition="V8: cases that met the targets of their priority / cases whose target fell "
        "due in the month - both targets (first response and resolution), the resolution "
        "target alone, and the export's own SLA verdict where it carries one; last 24 months.",
        entities=("support_cases",),
    ),
    ChartSpec(
        key="pipeline_waterfall",
        title="Pipeline movements by month",
        kind="bar",
        tables=(_WATERFALL,),
        sql="select month_start_date, created_amount, increased_amount, became_known_amount, "
        "reopened_amount, -decreased_amount as decreased, -became_unknown_amount as became_unknown, "
        "-won_amount as won, -lost_amount as lost, -exited_unknown_amount as exited_unknown "
        f"from {_WATERFALL} where dimension_name = 'all' and {_since(_WATERFALL, 12)} "
        "order by month_start_date",
        x="month_start_date",
        y=(
            "created_amount",
            "increased_amount",
            "became_known_amount",
            "reopened_amount",
            "decreased",
            "became_unknown",
            "won",
            "lost",
            "exited_unknown",
        ),
        y_fmt="money",
        y_title="change in open pipeline",
        labels={
            "month_start_date": "month",
            "created_amount": "created",
            "increased_amount": "increased",
            "became_known_amount": "amount became known",
            "reopened_amount": "re-opened",
            "decreased": "decreased",
            "became_unknown": "amount became unknown",
            "won": "won",
            "lost": "lost",
            "exited_unknown": "left without a known outcome",
        },
        definition="H2: what moved the open pipeline in each month: added (created, increased, "
        "amount became known, re-opened) above the axis, taken out (decreased, amount became "
        "unknown, won, lost, left without a known outcome) below it; opening + the bars = "
        "closing, last 12 months.",
        entities=("opportunities",),
    ),
    ChartSpec(
        key="mrr_movements",
        title="Recurring revenue movements by month",
        kind="bar",
        tables=(_MRR,),
        sql="select month_start_date, new_mrr, expansion_mrr, reactivation_mrr, "
        "-contraction_mrr as contraction, -churned_mrr as churn "
        f"from {_MRR} where dimension_name = 'all' and {_since(_MRR, 12)} "
        "order by month_start_date",
        x="month_start_date",
        y=("new_mrr", "expansion_mrr", "reactivation_mrr", "contraction", "churn"),
        y_fmt="money",
        y_title="change in MRR",
        labels={
            "month_start_date": "month",
            "new_mrr": "new",
            "expansion_mrr": "expansion",
            "reactivation_mrr": "reactivation",
            "contraction": "contraction",
            "churn": "churn",
        },
        definition="R2: monthly recurring revenue gained (new, expansion, reactivation) above "
        "the axis and lost (contraction, churn) below it; opening + the bars = closing, last "
        "12 months.",
        entities=("contracts",),
    ),
)
