"""What the parity test of the semantic layer compares: each metric against its
mart column (or, without one, an independent pandas computation from a core
fact), for every month and member of the demo data.

A `Check` names the mart, how its members map to a MetricFlow group-by, the
metrics and their columns. MetricFlow returns rows only for the months and
members with data; a month the mart shows without activity must then hold the
metric's "nothing happened" value there: 0 for counts and sums, null for
ratios and means (`absent`). MetricFlow rows outside the mart's month spine
(the future months an offset reaches, events without a date) are not compared.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pandas as pd

#: Long-format sales marts: dimension_name -> MetricFlow group-by of the opportunity.
SALES_MEMBERS = {
    "all": None,
    "owner": "opportunity__owner",
    "team": "opportunity__team",
    "partner": "opportunity__partner",
    "lead_source": "opportunity__lead_source",
    "channel_group": "opportunity__channel_group",
    "product_family": "opportunity__product_family",
    "region": "opportunity__region",
    "customer_type": "opportunity__customer_type",
}
CASE_MEMBERS = {
    "all": None,
    "case_type": "case__case_type",
    "priority": "case__priority",
    "channel": "case__channel",
}

#: Long pipeline waterfall mart: dimension_name -> group-by of the opportunity.
WATERFALL_MEMBERS = {
    "all": None,
    "owner": "opportunity__owner",
    "team": "opportunity__team",
    "region": "opportunity__region",
}
#: Long MRR marts: dimension_name -> group-by of the account (dim_accounts).
MRR_MEMBERS = {"all": None, "region": "account__region", "owner": "account__owner"}
#: The five attribution models of rpt_marketing_attribution_deals.
ATTRIBUTION_MODELS = ("first_touch", "last_touch", "linear", "u_shaped", "w_shaped")

#: tolerance of a column rounded to 2 places by the mart, and of a rate (6 places)
ROUNDED_2 = 0.0051
RATE = 1e-6


@dataclass(frozen=True)
class Metric:
    """A metric, the mart column it equals, and how they may differ."""

    name: str
    column: str
    absent: float | None = 0  # value of a month/member MetricFlow has no row for
    tolerance: float = 0.0051
    #: SQL over the mart's columns when no single column holds the figure
    sql: str | None = None


@dataclass(frozen=True)
class Check:
    """Metrics compared with one mart at one grain."""

    table: str
    metrics: tuple[Metric, ...]
    #: wide mart: its member column and the MetricFlow group-by (None: no member)
    member_column: str | None = None
    group_by: str | None = None
    #: long mart: dimension_name -> group-by (member_column is then dimension_value)
    long_members: dict[str, str | None] = field(default_factory=dict)
    grain: str = "month"
    #: extra SQL filter on the mart rows
    where: str = "true"
    #: MetricFlow members the mart leaves out on purpose (None: a null member)
    skip_members: tuple[str | None, ...] = ()
    #: the mart's member for a null MetricFlow member (an account the export's
    #: accounts table lacks): the rows are added to that member's (sums only)
    null_member: str | None = None


def m(
    name: str, column: str | None = None, absent: float | None = 0, tol: float = ROUNDED_2
) -> Metric:
    return Metric(name, column or name, absent, tol)


def rate(name: str, column: str | None = None) -> Metric:
    return Metric(name, column or name, None, RATE)


def mean(name: str, column: str | None = None) -> Metric:
    return Metric(name, column or name, None, ROUNDED_2)


CHECKS: tuple[Check, ...] = (
    Check(
        "sales.kpi_sales_monthly",
        (
            m("deals_won", "opportunities_won"),
            m("deals_won_with_amount", "opportunities_won_with_amount"),
            m("won_revenue"),
            mean("average_deal_size", "won_revenue_mean"),
            m("deals_lost", "opportunities_lost"),
            Metric(
                "deals_lost_with_amount",
                "opportunities_lost_with_amount",
                sql="opportunities_lost - opportunities_lost_without_amount",
            ),
            m("lost_amount"),
            m("deals_closed", "opportunities_closed"),
            m("closed_amount"),
            rate("win_rate"),
            rate("win_rate_by_amount"),
            mean("sales_cycle_days_mean"),
            mean("sales_cycle_days_median"),
            mean("lead_to_close_days_mean"),
            m("opportunities_created"),
            m("opportunities_created_amount"),
            rate("won_revenue_growth_mom", "won_revenue_growth"),
            m("open_pipeline_deals", "open_pipeline_opportunities"),
            m("open_pipeline_amount"),
            m("open_pipeline_weighted_amount"),
            mean("days_open_mean"),
        ),
        member_column="dimension_value",
        long_members=SALES_MEMBERS,
    ),
    Check(
        "sales.kpi_sales_monthly",
        (rate("close_rate"),),
        member_column="dimension_value",
        long_members={
            "all": None,
            "lead_source": "lead__lead_source",
            "channel_group": "lead__channel_group",
        },
    ),
    Check(
        "partners.kpi_partner_scorecard_monthly",
        (
            m("deals_won", "opportunities_won"),
            m("won_revenue"),
            rate("win_rate"),
            m("won_revenue_trailing_12m"),
            m("partner_opportunities_registered", "registered_opportunities"),
            m("partner_opportunities_registered_won", "registered_opportunities_won"),
            rate("partner_deal_success_rate", "registered_win_rate"),
        ),
        member_column="partner_id",
        group_by="opportunity__partner",
        skip_members=(
            "direct",
        ),  # the scorecard is of partners; direct deals are in kpi_sales_monthly
    ),
    Check(
        "marketing.kpi_marketing_leads_monthly",
        (
            m("leads_created"),
            m("leads_qualified"),
            rate("qualification_rate"),
            rate("leads_growth_mom", "leads_mom_growth"),
            rate("leads_growth_yoy", "leads_yoy_growth"),
        ),
        member_column="lead_source",
        group_by="lead__lead_source",
    ),
    Check(
        "marketing.kpi_marketing_leads_monthly",
        (rate("leads_growth_qoq", "leads_qoq_growth"),),
        member_column="lead_source",
        group_by="lead__lead_source",
        grain="quarter",
        # the mart's rolling quarter is the calendar quarter in its last month
        where="month(month_start_date) in (3, 6, 9, 12)",
    ),
    Check(
        "marketing.kpi_marketing_funnel_monthly",
        (
            m("leads_won"),
            m("leads_converted_to_opportunity", "leads_with_opportunity"),
            rate("lead_to_opportunity_conversion", "lead_to_opportunity_rate"),
            rate("lead_to_won_conversion", "lead_to_won_rate"),
        ),
        member_column="lead_source",
        group_by="lead__lead_source",
    ),
    Check(
        "marketing.kpi_marketing_funnel_monthly",
        (rate("opportunity_creation_growth_mom", "opportunity_creation_growth"),),
        member_column="lead_source",
        group_by="opportunity__lead_source",
    ),
    Check(
        "marketing.kpi_marketing_campaigns_monthly",
        (m("campaigns_started"), m("campaign_cost")),
        member_column="channel",
        group_by="campaign__channel",
    ),
    Check(
        "marketing.kpi_marketing_web_monthly",
        (
            m("web_sessions", "sessions"),
            m("web_page_views", "page_views"),
            m("web_session_seconds", "duration_seconds"),
            m("web_goal_completions", "goal_completions"),
            mean("time_per_visit_seconds", "duration_seconds_per_session"),
            rate("goal_completion_rate"),
        ),
        member_column="traffic_source",
        group_by="web_session__traffic_source",
    ),
    Check(
        "marketing.kpi_marketing_email_lists_monthly",
        (
            m("email_subscribes", "subscribes"),
            m("email_unsubscribes", "unsubscribes"),
            m("email_net_subscribers", "net_subscribers"),
            m("email_list_size", "list_size_at_end"),
            rate("email_list_growth_rate", "list_growth_rate"),
        ),
        member_column="list_id",
        group_by="email_list_event__list_id",
    ),
    Check(
        "customers.kpi_customer_retention_monthly",
        (
            m("new_customers"),
            m("active_customers_at_start"),
            m("retained_customers"),
            m("churned_customers"),
            rate("retention_rate"),
        ),
    ),
    Check(
        "customers.kpi_contract_renewals_monthly",
        (m("contracts_ending"), m("contracts_renewed"), rate("renewal_rate")),
    ),
    Check(
        "finance.kpi_receivables_monthly",
        (
            m("invoiced_amount"),
            m("collected_amount"),
            m("invoiced_trailing_90d", "invoiced_trailing_90d_amount"),
            m("due_amount"),
            m("collected_of_due_amount"),
            rate("collection_rate"),
        ),
    ),
    Check(
        "finance.kpi_billing_by_owner_monthly",
        (m("invoiced_amount"),),
        member_column="owner_rep_id",
        group_by="invoice__owner",
    ),
    Check(
        "service.kpi_service_cases_by_dimension_monthly",
        (
            m("cases_opened"),
            m("cases_closed"),
            m("cases_closed_same_day"),
            rate("same_day_closure_rate"),
            mean("resolution_hours_mean"),
            m("sla_cases_due"),
            m("sla_cases_met"),
            rate("sla_compliance_rate"),
            m("survey_responses"),
            m("satisfied_responses"),
            mean("satisfaction_score_mean"),
            rate("satisfied_share"),
        ),
        member_column="dimension_value",
        long_members=CASE_MEMBERS,
    ),
    Check(
        "service.kpi_service_interactions_monthly",
        (m("inbound_service_calls"), m("abandoned_service_calls"), rate("abandonment_rate")),
    ),
    Check(
        "activity.kpi_activity_rep_monthly",
        (
            m("sales_calls", "calls"),
            m("connected_sales_calls", "connected_calls"),
            m("sales_call_talk_seconds", "talk_seconds"),
        ),
        member_column="rep_id",
        group_by="activity__rep",
        skip_members=(None,),  # activities without a rep are in no rep's row
    ),
)

#: Issue #20: pipeline waterfall (H2), MRR (R1, R2), retention (R3, company),
#: business-hours SLA (B1), attributed revenue per model (T1).
WATERFALL_MOVEMENTS = (
    "opening",
    "created",
    "reopened",
    "increased",
    "decreased",
    "became_known",
    "became_unknown",
    "won",
    "lost",
    "exited_unknown",
    "closing",
    "pulled_in",
    "pushed_out",
)
HISTORY_CHECKS: tuple[Check, ...] = (
    Check(
        "sales.kpi_sales_pipeline_waterfall_monthly",
        tuple(
            m(f"waterfall_{k}_{x}", f"{k}_{x}")
            for k in WATERFALL_MOVEMENTS
            for x in ("count", "amount")
        ),
        member_column="dimension_value",
        long_members=WATERFALL_MEMBERS,
    ),
    Check(
        "finance.kpi_mrr_movements_monthly",
        (
            m("opening_mrr"),
            m("new_mrr"),
            m("expansion_mrr"),
            m("contraction_mrr"),
            m("churned_mrr"),
            m("reactivation_mrr"),
            m("closing_mrr"),
            m("closing_arr"),
            m("net_new_mrr"),
            m("mrr_opening_accounts", "opening_accounts"),
            m("mrr_new_accounts", "new_accounts"),
            m("mrr_expansion_accounts", "expansion_accounts"),
            m("mrr_contraction_accounts", "contraction_accounts"),
            m("mrr_churned_accounts", "churned_accounts"),
            m("mrr_reactivated_accounts", "reactivated_accounts"),
            m("mrr_closing_accounts", "closing_accounts"),
            m("mrr_unknown_accounts", "accounts_with_unknown_mrr"),
        ),
        member_column="dimension_value",
        long_members=MRR_MEMBERS,
        null_member="unknown",
    ),
    Check(
        "finance.kpi_mrr_retention_monthly",
        (
            m("cohort_opening_mrr"),
            m("cohort_closing_mrr"),
            m("cohort_retained_mrr"),
            rate("net_revenue_retention"),
            rate("gross_revenue_retention"),
        ),
        member_column="dimension_value",
        long_members={"all": None},
    ),
    Check(
        "service.kpi_service_cases_by_dimension_monthly",
        tuple(
            x
            for k in ("business_first_response_sla", "business_resolution_sla", "business_sla")
            for x in (m(f"{k}_cases_due"), m(f"{k}_cases_met"), rate(f"{k}_compliance_rate"))
        ),
        member_column="dimension_value",
        long_members={
            k: v and v.replace("case__", "support_case__") for k, v in CASE_MEMBERS.items()
        },
    ),
    # the stocks at quarter grain: the opening of the quarter's first month, the
    # closing (and the 12-month retention) of its last, never a sum of months
    Check(
        "sales.kpi_sales_pipeline_waterfall_monthly",
        (
            m("waterfall_opening_count", "opening_count"),
            m("waterfall_opening_amount", "opening_amount"),
        ),
        member_column="dimension_value",
        long_members=WATERFALL_MEMBERS,
        grain="quarter",
        where="month(month_start_date) in (1, 4, 7, 10)",
    ),
    Check(
        "sales.kpi_sales_pipeline_waterfall_monthly",
        (
            m("waterfall_closing_count", "closing_count"),
            m("waterfall_closing_amount", "closing_amount"),
        ),
        member_column="dimension_value",
        long_members=WATERFALL_MEMBERS,
        grain="quarter",
        where="month(month_start_date) in (3, 6, 9, 12)",
    ),
    Check(
        "finance.kpi_mrr_movements_monthly",
        (m("opening_mrr"), m("mrr_opening_accounts", "opening_accounts")),
        member_column="dimension_value",
        long_members=MRR_MEMBERS,
        null_member="unknown",
        grain="quarter",
        where="month(month_start_date) in (1, 4, 7, 10)",
    ),
    Check(
        "finance.kpi_mrr_movements_monthly",
        (m("closing_mrr"), m("closing_arr"), m("mrr_closing_accounts", "closing_accounts")),
        member_column="dimension_value",
        long_members=MRR_MEMBERS,
        null_member="unknown",
        grain="quarter",
        where="month(month_start_date) in (3, 6, 9, 12)",
    ),
    Check(
        "finance.kpi_mrr_retention_monthly",
        (rate("net_revenue_retention"), rate("gross_revenue_retention")),
        member_column="dimension_value",
        long_members={"all": None},
        grain="quarter",
        where="month(month_start_date) in (3, 6, 9, 12)",
    ),
    *(
        Check(
            "marketing.kpi_marketing_attribution_monthly",
            (
                m(f"attributed_revenue_{model}", "credited_revenue"),
                Metric(f"attributed_deals_{model}", "credited_deals", 0, RATE),
            ),
            member_column="dimension_value",
            long_members={
                "campaign": "attribution_credit__credited_campaign",
                "channel": "attribution_credit__channel",
            },
            where=f"attribution_model = '{model}'",
        )
        for model in ATTRIBUTION_MODELS
    ),
)
CHECKS = (*CHECKS, *HISTORY_CHECKS)

#: Metrics without a mart column, each checked against pandas (see test module).
WITHOUT_MART = (
    "won_revenue_growth_qoq",
    "won_revenue_growth_yoy",
    "invoiced_trailing_12m",
    "sales_call_connect_rate",
    "satisfaction_score_total",
)


def mf_frame(mf: Any, metrics: list[str], group_by: list[str]) -> pd.DataFrame:
    """One MetricFlow query as a DataFrame (column names lower case)."""
    from metricflow.engine.metricflow_engine import MetricFlowQueryRequest

    request = MetricFlowQueryRequest.create(metric_names=metrics, group_by_names=group_by)
    table = mf.engine.query(request).result_df
    frame = pd.DataFrame(
        [
            [table.get_cell_value(r, c) for c in range(table.column_count)]
            for r in range(table.row_count)
        ],
        columns=[c.lower() for c in table.column_names],
    )
    return frame


def period_start(value: Any) -> date | None:
    if value is None or pd.isna(value):
        return None
    return pd.Timestamp(value).date()


def compare(
    metric: Metric, mart: pd.DataFrame, got: pd.DataFrame, where: str
) -> tuple[list[str], int]:
    """Differences between the mart column and the MetricFlow column, as lines,
    and how many rows agree on a value other than "nothing happened"."""
    months = set(mart["period"])
    got = got[got["period"].isin(months)]
    left = mart[["period", "member", metric.column]].rename(columns={metric.column: "expected"})
    right = got[["period", "member", metric.name]].rename(columns={metric.name: "actual"})
    merged = left.merge(right, on=["period", "member"], how="outer", indicator="side")
    problems = []
    agreed = 0
    for row in merged.itertuples(index=False):
        actual = row.actual
        if row.side == "right_only":
            # a row of the time-spine join (join_to_timespine) has no member and 0
            if _null(actual) or _equal(actual, metric.absent, metric.tolerance):
                continue
            problems.append(f"{where} {row.period} {row.member}: MetricFlow {actual}, no mart row")
            continue
        if row.side == "left_only" or _null(actual):
            # no MetricFlow row, or a null one (a query of several metrics joins
            # their rows; a sum over no known amount is null): nothing happened
            # here, or only amounts nobody knows - the mart's 0 or null
            if _null(row.expected) or _equal(row.expected, metric.absent, metric.tolerance):
                continue
            actual = None
        if not _equal(row.expected, actual, metric.tolerance):
            problems.append(
                f"{where} {row.period} {row.member}: mart {row.expected}, MetricFlow {actual}"
            )
        elif not _equal(actual, metric.absent, metric.tolerance):
            agreed += 1
    return problems, agreed


def _null(value: Any) -> bool:
    return value is None or bool(pd.isna(value))


def _equal(expected: Any, actual: Any, tolerance: float) -> bool:
    if _null(expected) or _null(actual):
        return _null(expected) and _null(actual)
    return abs(float(expected) - float(actual)) <= tolerance


def _merge_null_member(got: pd.DataFrame, member: str, metrics: list[str]) -> pd.DataFrame:
    """MetricFlow's null member added to `member` (the mart's name for it), per period."""
    got = got.assign(member=got["member"].where(got["member"].notna(), member))
    return (
        got.groupby(["period", "member"], as_index=False)[metrics]
        .agg(lambda v: v.astype(float).sum(min_count=1))
        .reset_index(drop=True)
    )


def _mart_column(metric: Metric) -> str:
    quoted = f'"{metric.column}"'
    return f"{metric.sql} as {quoted}" if metric.sql else quoted


def run_check(mf: Any, con: Any, check: Check) -> tuple[list[str], dict[str, int]]:
    """Every difference between `check`'s mart columns and its metrics, and per
    metric the rows that agree on a value other than "nothing happened"."""
    members = check.long_members or {"all": check.group_by}
    columns = ", ".join(_mart_column(x) for x in check.metrics)
    problems: list[str] = []
    agreed = {x.name: 0 for x in check.metrics}
    for dimension, group_by in members.items():
        member_sql = f'"{check.member_column}"' if check.member_column else "'all'"
        where = check.where
        if check.long_members:
            where += f" and dimension_name = '{dimension}'"
        mart = con.execute(
            f"select cast(date_trunc('{check.grain}', month_start_date) as date) as period, "
            f"cast({member_sql} as varchar) as member, {columns} from {check.table} where {where}"
        ).df()
        mart["period"] = mart["period"].map(period_start)
        time = f"metric_time__{check.grain}"
        got = mf_frame(
            mf, [x.name for x in check.metrics], [time] + ([group_by] if group_by else [])
        )
        got["period"] = got[time].map(period_start)
        got["member"] = got[group_by].astype(object) if group_by else "all"
        got = got[got["period"].notna()]
        if None in check.skip_members:
            got = got[got["member"].notna()]
        got = got[~got["member"].isin([x for x in check.skip_members if x is not None])]
        if check.null_member is not None and group_by:
            got = _merge_null_member(got, check.null_member, [x.name for x in check.metrics])
        twice = got[got.duplicated(["period", "member"], keep=False)]
        if len(twice):
            problems.append(
                f"{check.table} [{dimension}]: {len(twice)} MetricFlow rows share a period and member"
            )
        for metric in check.metrics:
            label = f"{metric.name} vs {check.table}.{metric.column} [{dimension}]"
            found, matching = compare(metric, mart, got, label)
            problems.extend(found)
            agreed[metric.name] += matching
    return problems, agreed
