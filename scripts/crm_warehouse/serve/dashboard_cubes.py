"""The data behind the dashboard's filters: small pre-aggregated "cubes".

A cube is one fact of the published marts file summed at month x the filter
dimensions it carries (team, rep, region, lead source, partner), with the
numerators and denominators of the KPIs drawn from it kept apart. The page
embeds every cube as compact JSON and its script sums the rows that pass the
filters, then divides sums (a ratio over a range or a team is sum of
numerators / sum of denominators, as in the marts, never a mean of ratios).

Cubes are read from the fct_/dim_ tables (and, for measures only the marts
compute - retention, receivables at month end - from the KPI table's `all`
rows, which carry no dimension): the long KPI tables hold one dimension at a
time, and a team + lead source filter needs their cross product.

To chart a new mart, add a CubeSpec here (its SQL returns `month`, the
dimension columns it names, then its measures) and cards or charts that read
it in serve.dashboard_areas.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import duckdb

from crm_warehouse.serve.cube_encoding import dim_key, json_numbers, month_key, positions

#: The filters of the page, in the order shown; every cube names which it carries.
FILTER_DIMS: tuple[str, ...] = ("team", "rep", "region", "lead_source", "partner")
FILTER_LABELS = {
    "team": "Team",
    "rep": "Rep",
    "region": "Region",
    "lead_source": "Lead source",
    "partner": "Partner",
}


@dataclass(frozen=True)
class CubeSpec:
    """`sql` returns `month` (a month start date; null for a snapshot at the
    as-of date), then `dims`, `groups` and `measures`, one row per combination."""

    key: str
    tables: tuple[str, ...]
    sql: str
    dims: tuple[str, ...]
    measures: tuple[str, ...]
    entities: tuple[str, ...] = ()
    require: str = "all"
    #: columns after the dimensions a chart may split by that are no filter
    groups: tuple[str, ...] = ()
    #: rows of a long KPI table: each row carries one dimension's member (the
    #: others null) or none (the `all` row), so one filter at a time applies
    long: bool = False


_OPP = "core.fct_opportunities"
_REPS = "core.dim_reps"
_ACCOUNTS = "core.dim_accounts"
_OPP_DIMS = (
    "coalesce(team_id, 'unknown') as team, coalesce(owner_rep_id, 'unknown') as rep, "
    "coalesce(region, 'unknown') as region, coalesce(lead_source, 'unknown') as lead_source, "
    "coalesce(partner_id, 'direct') as partner"
)
_OPP_MEASURES = (
    "won",
    "won_with_amount",
    "won_revenue",
    "lost",
    "lost_with_amount",
    "lost_amount",
    "created",
    "created_with_amount",
    "created_amount",
    "open",
    "open_with_amount",
    "open_amount",
    "partner_won",
    "partner_won_revenue",
    "partner_lost",
)


def _opp_events() -> str:
    zero = {m: "0" for m in _OPP_MEASURES}

    def select(month: str, where: str, **values: str) -> str:
        cols = ", ".join(f"{values.get(m, zero[m])} as {m}" for m in _OPP_MEASURES)
        # the stage only on the open snapshot (the chart of open pipeline by stage)
        stage = "coalesce(stage_name, 'unknown')" if month.startswith("cast(null") else "''"
        return (
            f"select {month} as month, {_OPP_DIMS}, {stage} as stage, {cols} "
            f"from {_OPP} where {where}"
        )

    closed = select(
        "closed_month_start_date",
        "is_closed and closed_month_start_date is not null",
        won="case when is_won then 1 else 0 end",
        won_with_amount="case when is_won and amount is not null then 1 else 0 end",
        won_revenue="case when is_won then coalesce(amount, 0) else 0 end",
        lost="case when is_lost then 1 else 0 end",
        lost_with_amount="case when is_lost and amount is not null then 1 else 0 end",
        lost_amount="case when is_lost then coalesce(amount, 0) else 0 end",
        partner_won="case when is_won and partner_id is not null then 1 else 0 end",
        partner_won_revenue="case when is_won and partner_id is not null "
        "then coalesce(amount, 0) else 0 end",
        partner_lost="case when is_lost and partner_id is not null then 1 else 0 end",
    )
    created = select(
        "created_month_start_date",
        "created_month_start_date is not null",
        created="1",
        created_with_amount="case when amount is not null then 1 else 0 end",
        created_amount="coalesce(amount, 0)",
    )
    open_now = select(
        "cast(null as date)",
        "is_open",
        open="1",
        open_with_amount="case when amount is not null then 1 else 0 end",
        open_amount="coalesce(amount, 0)",
    )
    sums = ", ".join(f"sum({m}) as {m}" for m in _OPP_MEASURES)
    return (
        f"select month, team, rep, region, lead_source, partner, stage, {sums} from ("
        f"{closed} union all {created} union all {open_now}) as events "
        "group by all"
    )


#: team and region of a rep (facts that carry only the rep) and of an account.
_REP_TEAM = f"left join {_REPS} as reps on reps.rep_id = f.{{rep}}"
_ACCOUNT_REGION = f"left join {_ACCOUNTS} as accounts on accounts.account_id = f.account_id"

_WATERFALL = "sales.kpi_sales_pipeline_waterfall_monthly"
_WATERFALL_MEASURES = (
    "opening_amount",
    "created_amount",
    "increased_amount",
    "reopened_amount",
    "decreased_amount",
    "became_known_amount",
    "became_unknown_amount",
    "won_amount",
    "lost_amount",
    "exited_unknown_amount",
    "closing_amount",
)
_MRR = "finance.kpi_mrr_movements_monthly"
_MRR_MEASURES = (
    "opening_mrr",
    "new_mrr",
    "expansion_mrr",
    "reactivation_mrr",
    "contraction_mrr",
    "churned_mrr",
    "closing_mrr",
)

CUBES: tuple[CubeSpec, ...] = (
    CubeSpec(
        key="opportunities",
        tables=(_OPP,),
        sql=_opp_events(),
        dims=FILTER_DIMS,
        measures=_OPP_MEASURES,
        entities=("opportunities",),
        groups=("stage",),
    ),
    CubeSpec(
        key="partner_registrations",
        tables=("partners.kpi_partner_scorecard_monthly",),
        # the deal-registration cohorts of the partner scorecard (by the month registered)
        sql="select month_start_date as month, partner_id as partner, "
        "registered_opportunities, registered_opportunities_won "
        "from partners.kpi_partner_scorecard_monthly where registered_opportunities > 0",
        dims=("partner",),
        measures=("registered_opportunities", "registered_opportunities_won"),
        entities=("partners", "opportunities"),
    ),
    CubeSpec(
        key="leads",
        tables=("core.fct_leads", _REPS),
        sql="select f.created_month_start_date as month, coalesce(reps.team_id, 'unknown') as team, "
        "coalesce(f.owner_rep_id, 'unknown') as rep, coalesce(f.lead_source, 'unknown') as lead_source, "
        "count(*) as leads, sum(case when f.has_opportunity then 1 else 0 end) as with_opportunity, "
        "sum(case when f.is_won then 1 else 0 end) as leads_won "
        f"from core.fct_leads as f {_REP_TEAM.format(rep='owner_rep_id')} "
        "where f.created_month_start_date is not null group by all",
        dims=("team", "rep", "lead_source"),
        measures=("leads", "with_opportunity", "leads_won"),
        entities=("leads",),
    ),
    # marketing: the monthly marts themselves (no filter dimension in them; the
    # channel, traffic source and list are groups a chart splits by)
    CubeSpec(
        key="web",
        tables=("marketing.kpi_marketing_web_monthly",),
        sql="select month_start_date as month, coalesce(traffic_source, 'unknown') as source, "
        "sum(sessions) as sessions, sum(goal_completions) as goal_completions "
        "from marketing.kpi_marketing_web_monthly group by all",
        dims=(),
        measures=("sessions", "goal_completions"),
        entities=("web_sessions",),
        groups=("source",),
    ),
    CubeSpec(
        key="email",
        tables=("marketing.kpi_marketing_email_lists_monthly",),
        sql="select month_start_date as month, sum(subscribes) as subscribes, "
        "sum(unsubscribes) as unsubscribes, sum(list_size_at_end) as list_size_at_end "
        "from marketing.kpi_marketing_email_lists_monthly group by all",
        dims=(),
        measures=("subscribes", "unsubscribes", "list_size_at_end"),
        entities=("email_list_events",),
    ),
    CubeSpec(
        key="campaigns",
        tables=("marketing.kpi_marketing_campaigns_monthly",),
        sql="select month_start_date as month, coalesce(channel, 'unknown') as channel, "
        "sum(coalesce(campaign_cost, 0)) as campaign_cost, sum(members_added) as members_added, "
        "sum(members_responded) as members_responded, sum(leads_created) as campaign_leads, "
        "sum(coalesce(campaign_revenue, 0)) as campaign_revenue "
        "from marketing.kpi_marketing_campaigns_monthly group by all",
        dims=(),
        measures=(
            "campaign_cost",
            "members_added",
            "members_responded",
            "campaign_leads",
            "campaign_revenue",
        ),
        entities=("campaigns",),
        groups=("channel",),
    ),
    CubeSpec(
        key="retention",
        tables=("customers.kpi_customer_retention_monthly",),
        sql="select month_start_date as month, active_customers_at_start, retained_customers, "
        "churned_customers, new_customers from customers.kpi_customer_retention_monthly",
        dims=(),
        measures=(
            "active_customers_at_start",
            "retained_customers",
            "churned_customers",
            "new_customers",
        ),
        entities=("contracts", "opportunities", "orders"),
        require="any",
    ),
    CubeSpec(
        key="invoices",
        tables=("core.fct_invoices", _REPS, _ACCOUNTS),
        sql="select f.invoice_month_start_date as month, coalesce(reps.team_id, 'unknown') as team, "
        "coalesce(f.owner_rep_id, 'unknown') as rep, coalesce(accounts.region, 'unknown') as region, "
        "count(*) as invoices, sum(coalesce(f.amount, 0)) as invoiced_amount, "
        "sum(coalesce(f.collected_amount, 0)) as collected_amount, "
        "sum(coalesce(f.open_amount, 0)) as open_amount "
        f"from core.fct_invoices as f {_REP_TEAM.format(rep='owner_rep_id')} {_ACCOUNT_REGION} "
        "where f.invoice_month_start_date is not null group by all",
        dims=("team", "rep", "region"),
        measures=("invoices", "invoiced_amount", "collected_amount", "open_amount"),
        entities=("invoices",),
    ),
    CubeSpec(
        key="renewals",
        tables=("customers.kpi_contract_renewals_monthly",),
        sql="select month_start_date as month, contracts_ending, contracts_renewed, "
        "coalesce(ending_contract_value, 0) as ending_contract_value, "
        "coalesce(renewed_contract_value, 0) as renewed_contract_value "
        "from customers.kpi_contract_renewals_monthly",
        dims=(),
        measures=(
            "contracts_ending",
            "contracts_renewed",
            "ending_contract_value",
            "renewed_contract_value",
        ),
        entities=("contracts",),
    ),
    CubeSpec(
        key="receivables",
        tables=("finance.kpi_receivables_monthly",),
        # balances at month end and F3 / F4's parts: no dimension in the mart
        sql="select month_start_date as month, open_receivables_amount, "
        "overdue_receivables_amount, invoiced_trailing_90d_amount, due_amount, "
        "collected_of_due_amount from finance.kpi_receivables_monthly",
        dims=(),
        measures=(
            "open_receivables_amount",
            "overdue_receivables_amount",
            "invoiced_trailing_90d_amount",
            "due_amount",
            "collected_of_due_amount",
        ),
        entities=("invoices",),
    ),
    CubeSpec(
        key="cases",
        tables=("core.fct_cases", _REPS, _ACCOUNTS),
        # as service.kpi_service_cases_by_dimension_monthly: volume by the month
        # opened, V8 by the month the resolution target fell due (met or missed)
        sql="select month, team, rep, region, sum(cases_opened) as cases_opened, "
        "sum(complaints) as complaints, sum(sla_due) as sla_due, sum(sla_met) as sla_met from ("
        "select case when e.event = 'opened' then f.opened_month_start_date "
        "else f.resolution_due_month_start_date end as month, "
        "coalesce(reps.team_id, 'unknown') as team, coalesce(f.owner_rep_id, 'unknown') as rep, "
        "coalesce(accounts.region, 'unknown') as region, "
        "case when e.event = 'opened' then 1 else 0 end as cases_opened, "
        "case when e.event = 'opened' and f.is_complaint then 1 else 0 end as complaints, "
        "case when e.event = 'sla' and f.is_sla_met is not null then 1 else 0 end as sla_due, "
        "case when e.event = 'sla' and f.is_sla_met then 1 else 0 end as sla_met "
        f"from core.fct_cases as f {_REP_TEAM.format(rep='owner_rep_id')} {_ACCOUNT_REGION} "
        "cross join (values ('opened'), ('sla')) as e(event) "
        "where (e.event = 'opened' and f.opened_month_start_date is not null) or (e.event = 'sla' "
        "and f.resolution_sla_status in ('met', 'missed') "
        "and f.resolution_due_month_start_date is not null)) as events group by all",
        dims=("team", "rep", "region"),
        measures=("cases_opened", "complaints", "sla_due", "sla_met"),
        entities=("support_cases",),
    ),
    CubeSpec(
        key="activities",
        tables=("core.fct_activities", _REPS),
        # as activity.kpi_activity_adoption_weekly (A3): logged = created in the
        # month, abandoned calls (logged by the phone system) left out; sales calls
        # by the month completed, as sales.kpi_sales_goal_progress counts them
        sql="select month, team, rep, sum(logged) as logged, "
        "sum(complete_records) as complete_records, sum(sales_calls) as sales_calls from ("
        "select case when e.event = 'logged' then cast(date_trunc('month', f.created_at) as date) "
        "else cast(date_trunc('month', f.completed_at) as date) end as month, "
        "coalesce(reps.team_id, 'unknown') as team, coalesce(f.rep_id, 'unknown') as rep, "
        "case when e.event = 'logged' then 1 else 0 end as logged, "
        "case when e.event = 'logged' and f.has_required_fields then 1 else 0 end "
        "as complete_records, case when e.event = 'call' then 1 else 0 end as sales_calls "
        f"from core.fct_activities as f {_REP_TEAM.format(rep='rep_id')} "
        "cross join (values ('logged'), ('call')) as e(event) "
        "where (e.event = 'logged' and f.created_at is not null and not f.is_abandoned) "
        "or (e.event = 'call' and f.is_sales_call and f.completed_at is not null)"
        ") as events group by all",
        dims=("team", "rep"),
        measures=("logged", "complete_records", "sales_calls"),
        entities=("activities",),
    ),
    CubeSpec(
        key="waterfall",
        tables=(_WATERFALL,),
        # H2 as published, one dimension at a time (the mart has no team x region
        # rows, and its movements are per deal and month, not in the published file);
        # a row without a deal open at some instant of the month is all zeros
        sql="select month_start_date as month, "
        "case when dimension_name = 'team' then dimension_value end as team, "
        "case when dimension_name = 'owner' then dimension_value end as rep, "
        "case when dimension_name = 'region' then dimension_value end as region, "
        f"{', '.join(_WATERFALL_MEASURES)} from {_WATERFALL} "
        "where dimension_name in ('all', 'team', 'owner', 'region') "
        "and opening_count + created_count + reopened_count > 0",
        dims=("team", "rep", "region"),
        measures=_WATERFALL_MEASURES,
        entities=("opportunities",),
        long=True,
    ),
    CubeSpec(
        key="mrr",
        tables=(_MRR,),
        # R1, R2 of the company (the mart splits by the account's region and owner,
        # not by the filters' team, rep or region of a deal)
        sql=f"select month_start_date as month, {', '.join(_MRR_MEASURES)} from {_MRR} "
        "where dimension_name = 'all'",
        dims=(),
        measures=_MRR_MEASURES,
        entities=("contracts",),
    ),
    CubeSpec(
        key="targets",
        tables=("sales.kpi_sales_goal_progress",),
        sql="select month_start_date as month, target_level as level, "
        "coalesce(rep_id, team_id, lead_source) as subject, metric, sum(target_value) as target "
        "from sales.kpi_sales_goal_progress where target_value is not null group by all",
        dims=(),
        measures=("target",),
        groups=("level", "subject", "metric"),
        entities=("targets",),
    ),
)


def _labels(con: duckdb.DuckDBPyConnection, existing: set[str]) -> dict[str, dict[str, str]]:
    """{dimension: {value: label}} for members that have a name (reps, teams, partners)."""
    out: dict[str, dict[str, str]] = {d: {} for d in FILTER_DIMS}
    teams = f"select distinct team_id, team_name from {_REPS} where team_id is not null"
    queries = {
        ("rep", _REPS): f"select rep_id, rep_name from {_REPS}",
        ("team", _REPS): teams,
        ("partner", "core.dim_partners"): "select partner_id, partner_name from core.dim_partners",
    }
    for (dim, table), sql in queries.items():
        if table in existing:
            for value, label in con.execute(sql).fetchall():
                if value is not None and label is not None:
                    out[dim][str(value)] = str(label)
    out["partner"].setdefault("direct", "direct (no partner)")
    return out


#: Rows a cube may embed in the page. A larger one is summed again without
#: its filter dimension of most members, then the next, until it fits: its
#: figures then show n/a for those filters, saying why, and the page stays a
#: size a browser opens (at scale 100 the opportunities cube had 1,403,080
#: rows, 113 MB of the 143 MB page; docs/performance.md).
MAX_CUBE_ROWS = 200_000


def fitted_cube(
    con: duckdb.DuckDBPyConnection, spec: CubeSpec, max_rows: int | None = None
) -> tuple[str, tuple[str, ...], list[str]]:
    """(SQL, filter dimensions, dimensions dropped) of `spec`'s cube within
    `max_rows` rows. The cube is kept in a temporary table while its size is
    measured (the published file is read-only; temporary tables live in
    memory or DuckDB's spill folder). Long cubes, and cubes that fit, as
    they are. Every measure is a sum, so summing again keeps the totals."""
    if spec.long:
        return spec.sql, spec.dims, []
    max_rows = MAX_CUBE_ROWS if max_rows is None else max_rows
    con.execute(f"create or replace temp table dashboard_cube as {spec.sql}")
    dims, dropped, sql = list(spec.dims), [], "select * from dashboard_cube"
    ((rows,),) = con.execute("select count(*) from dashboard_cube").fetchall()
    if rows <= max_rows or not dims:
        return sql, spec.dims, dropped
    # members per dimension: counted only for a cube that does not fit
    distinct = ", ".join(f"count(distinct {d})" for d in dims)
    (counts,) = con.execute(f"select {distinct} from dashboard_cube").fetchall()
    members = dict(zip(dims, counts, strict=True))
    sums = ", ".join(f"sum({m}) as {m}" for m in spec.measures)
    while rows > max_rows and dims:
        widest = max(dims, key=lambda d: members[d])
        dims.remove(widest)
        dropped.append(widest)
        keep = ", ".join(["month", *dims, *spec.groups])
        sql = f"select {keep}, {sums} from dashboard_cube group by all"
        ((rows,),) = con.execute(f"select count(*) from ({sql}) as fitted").fetchall()
    return sql, tuple(dims), dropped


def read_cube(
    con: duckdb.DuckDBPyConnection,
    spec: CubeSpec,
    months: list[str],
    members: dict[str, list[str]],
    max_rows: int | None = None,
) -> dict[str, Any]:
    """One cube as compact JSON: rows of [month index (-1: snapshot), member
    index per dimension, measures...]; months and members are shared lists the
    indexes point into (extended here). A cube over `max_rows` rows (default
    MAX_CUBE_ROWS) loses its widest dimensions (fitted_cube), listed under
    `dropped`."""
    sql, dims, dropped = fitted_cube(con, spec, max_rows)
    # DuckDB's con.sql() refuses to run beside an unfinished execute() result
    # (a fetchone() of the page's earlier queries): finish it first
    con.complete()
    table = con.sql(sql).to_arrow_table()
    extra = list(spec.groups)
    # column by column (serve.cube_encoding)
    columns = [positions(table.column("month"), months, month_key)]
    for dim in (*dims, *extra):
        values = members.setdefault(dim, [])
        columns.append(positions(table.column(dim), values, dim_key(spec.long)))
    columns += [json_numbers(table.column(m)) for m in spec.measures]
    rows = [list(row) for row in zip(*columns, strict=True)]
    cube: dict[str, Any] = {"dims": [*dims, *extra], "measures": list(spec.measures), "rows": rows}
    if dropped:
        cube["dropped"] = dropped
    con.execute("drop table if exists dashboard_cube")
    return {**cube, "long": True} if spec.long else cube


def as_of_month(
    con: duckdb.DuckDBPyConnection, existing: set[str]
) -> tuple[str | None, str | None]:
    """(as-of date, last full month 'YYYY-MM') of the build, from core.dim_dates."""
    if "core.dim_dates" not in existing:
        return None, None
    row = con.execute(
        "with a as (select max(date_day) as d from core.dim_dates where not is_after_as_of_date) "
        "select a.d, (select max(month_start_date) from core.dim_dates, a "
        "where month_end_date <= a.d) from a"
    ).fetchone()
    if row is None or row[0] is None:
        return None, None
    return str(row[0]), (str(row[1])[:7] if row[1] is not None else None)


def cube_data(
    con: duckdb.DuckDBPyConnection,
    existing: set[str],
    absent_reason: Any,
    specs: tuple[CubeSpec, ...] = CUBES,
) -> dict[str, Any]:
    """Everything the page's script needs: months, members with labels, the
    cubes (or why one is missing), the as-of date."""
    months: list[str] = []
    members: dict[str, list[str]] = {}
    cubes: dict[str, Any] = {}
    for spec in specs:
        why = absent_reason(spec)
        missing = [t for t in spec.tables if t not in existing]
        if why:
            cubes[spec.key] = {"absent": why}
        elif missing:
            cubes[spec.key] = {"missing": f"waiting for {', '.join(missing)}"}
        else:
            try:
                cubes[spec.key] = read_cube(con, spec, months, members)
            except duckdb.Error as exc:
                cubes[spec.key] = {"missing": f"{type(exc).__name__}: {exc}"}
    # months in order: remap every cube's month index
    ordered = sorted(months)
    remap = {i: ordered.index(m) for i, m in enumerate(months)}
    for cube in cubes.values():
        for row in cube.get("rows", ()):
            if row[0] >= 0:
                row[0] = remap[row[0]]
    as_of, last_full = as_of_month(con, existing)
    labels = _labels(con, existing)
    return {
        "months": ordered,
        "members": members,
        "labels": {d: labels.get(d, {}) for d in members},
        "cubes": cubes,
        "as_of": as_of,
        "last_full_month": last_full,
    }
