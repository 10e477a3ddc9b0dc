"""The dashboard's pages (one per area) and their cards and charts, each a
formula over a cube's measures (serve.dashboard_figures says which formulas),
computed in the browser from the cubes of serve.dashboard_cubes for the
filters chosen.

To add a page or a figure (for a new mart), append a Card or Chart to an
Area of AREAS; a new cube goes in serve.dashboard_cubes.CUBES.
"""

from __future__ import annotations

from crm_warehouse.serve.dashboard_figures import Area, Card, Chart, Figure, Series
from crm_warehouse.serve.dashboard_movements import (
    MRR_CARDS,
    MRR_CHARTS,
    WATERFALL_CARDS,
    WATERFALL_CHARTS,
)

_OPP = "opportunities"
WON_REVENUE = Figure(_OPP, "won_revenue", known="won_with_amount", count="won")
WIN_RATE = Figure(_OPP, "won", "ratio", den="won+lost")
DEAL_SIZE = Figure(_OPP, "won_revenue", "ratio", den="won_with_amount")
PARTNER_WIN_RATE = Figure(_OPP, "partner_won", "ratio", den="partner_won+partner_lost")

SALES = Area(
    "sales",
    "Sales and pipeline",
    cards=(
        Card(
            "won_revenue",
            "Won revenue",
            WON_REVENUE,
            "money",
            "S2: sum of the amounts of deals won (close date in the range).",
            target="won_revenue",
        ),
        Card(
            "deals_won",
            "Deals won",
            Figure(_OPP, "won"),
            "count",
            "S1: closed-won opportunities.",
            target="deal_count",
        ),
        Card(
            "deal_size",
            "Average deal size",
            DEAL_SIZE,
            "money",
            "S3: won revenue / deals won with an amount.",
        ),
        Card("win_rate", "Win rate", WIN_RATE, "rate", "S4: deals won / (won + lost), by count."),
        Card(
            "created_amount",
            "Pipeline created",
            Figure(_OPP, "created_amount", known="created_with_amount", count="created"),
            "money",
            "Amount of the opportunities created in the range (created date).",
        ),
        Card(
            "open_amount",
            "Open pipeline now",
            Figure(_OPP, "open_amount", known="open_with_amount", count="open"),
            "money",
            "Amount of the opportunities open in the export now (is_open, current amount; S7 in the marts values them at the as-of date from stage history).",
            snapshot=True,
        ),
        *WATERFALL_CARDS,
    ),
    charts=(
        Chart(
            "won_by_month",
            "Won revenue and win rate by month",
            "month",
            (Series("won revenue", WON_REVENUE), Series("win rate", WIN_RATE, "y2")),
            "money",
            "S2 won revenue (bars) and S4 win rate (line) per month of the close date.",
            y2_fmt="rate",
        ),
        Chart(
            "open_by_stage",
            "Open pipeline now by stage",
            "stage",
            (
                Series("open amount", Figure(_OPP, "open_amount")),
                Series("open deals", Figure(_OPP, "open"), "y2"),
            ),
            "money",
            "Amount (bars) and count (line) of the opportunities open in the export now, by "
            "their current stage; the date range does not apply.",
            y2_fmt="count",
            snapshot=True,
        ),
        Chart(
            "won_by_rep",
            "Won revenue by rep",
            "rep",
            (Series("won revenue", WON_REVENUE), Series("win rate", WIN_RATE, "y2")),
            "money",
            "S2 and S4 by owner, over the range (the 15 reps with the most won revenue).",
            y2_fmt="rate",
        ),
        Chart(
            "won_by_lead_source",
            "Won revenue by lead source",
            "lead_source",
            (Series("won revenue", WON_REVENUE), Series("win rate", WIN_RATE, "y2")),
            "money",
            "S2 and S4 by the opportunity's lead source, over the range.",
            y2_fmt="rate",
        ),
        *WATERFALL_CHARTS,
    ),
)

PARTNERS = Area(
    "partners",
    "Partners",
    cards=(
        Card(
            "partner_won_revenue",
            "Partner-sourced won revenue",
            Figure(_OPP, "partner_won_revenue"),
            "money",
            "S2 of the won deals that carry a partner (choose one with the partner filter).",
        ),
        Card(
            "partner_share",
            "Partner share of won revenue",
            Figure(_OPP, "partner_won_revenue", "ratio", den="won_revenue"),
            "rate",
            "Won revenue of deals with a partner / all won revenue.",
        ),
        Card(
            "partner_deals",
            "Partner deals won",
            Figure(_OPP, "partner_won"),
            "count",
            "S1 of the deals that carry a partner.",
        ),
        Card(
            "partner_win_rate",
            "Partner win rate",
            PARTNER_WIN_RATE,
            "rate",
            "S4 of the deals that carry a partner (or the partner chosen).",
        ),
        Card(
            "registered_deals",
            "Deals registered",
            Figure("partner_registrations", "registered_opportunities"),
            "count",
            "Opportunities partners registered in the range (kpi_partner_scorecard_monthly).",
        ),
        Card(
            "deal_success_rate",
            "Deal success rate",
            Figure(
                "partner_registrations",
                "registered_opportunities_won",
                "ratio",
                den="registered_opportunities",
            ),
            "rate",
            "Registered deals won (at any time up to the build) / deals registered in the range.",
        ),
    ),
    charts=(
        Chart(
            "won_by_partner",
            "Won revenue and win rate by partner",
            "partner",
            (
                Series("won revenue", Figure(_OPP, "partner_won_revenue")),
                Series("win rate", PARTNER_WIN_RATE, "y2"),
            ),
            "money",
            "S2 and S4 of the partner deals by partner over the range (the 15 with the most "
            "won revenue).",
            y2_fmt="rate",
        ),
    ),
)

MARKETING = Area(
    "marketing",
    "Marketing",
    cards=(
        Card(
            "leads",
            "Leads created",
            Figure("leads", "leads"),
            "count",
            "Leads created in the range (cohort month).",
        ),
        Card(
            "lead_to_won",
            "Lead → won rate",
            Figure("leads", "leads_won", "ratio", den="leads"),
            "rate",
            "M3: leads of the range that led to a won deal / leads created (cohort).",
        ),
        Card(
            "sessions",
            "Web sessions",
            Figure("web", "sessions"),
            "count",
            "Web sessions in the range (kpi_marketing_web_monthly).",
        ),
        Card(
            "goal_rate",
            "Web goal rate",
            Figure("web", "goal_completions", "ratio", den="sessions"),
            "rate",
            "Goal completions / sessions, pooled over the range.",
        ),
        Card(
            "net_subscribers",
            "Net email subscribers",
            Figure("email", "subscribes", "diff", den="unsubscribes"),
            "count",
            "Subscribes - unsubscribes on the email lists in the range.",
        ),
        Card(
            "list_size",
            "Email list size",
            Figure("email", "list_size_at_end", at_end=True),
            "count",
            "Subscribers of all lists at the end of the range's last month.",
        ),
        Card(
            "campaign_cost",
            "Campaign cost",
            Figure("campaigns", "campaign_cost"),
            "money",
            "Cost of the campaigns started in the range (known costs).",
        ),
        Card(
            "cost_per_lead",
            "Cost per campaign lead",
            Figure("campaigns", "campaign_cost", "ratio", den="campaign_leads"),
            "money",
            "M5: campaign cost / leads created by campaigns, pooled over the range.",
        ),
        Card(
            "response_rate",
            "Campaign response rate",
            Figure("campaigns", "members_responded", "ratio", den="members_added"),
            "rate",
            "M5: members who responded / members added in the range.",
        ),
    ),
    charts=(
        Chart(
            "leads_by_source",
            "Leads and lead → won rate by lead source",
            "lead_source",
            (
                Series("leads", Figure("leads", "leads")),
                Series("lead → won rate", Figure("leads", "leads_won", "ratio", den="leads"), "y2"),
            ),
            "count",
            "Leads created and M3 by lead source over the range.",
            y2_fmt="rate",
        ),
        Chart(
            "campaigns_by_channel",
            "Campaign cost and cost per lead by channel",
            "channel",
            (
                Series("campaign cost", Figure("campaigns", "campaign_cost")),
                Series(
                    "cost per lead",
                    Figure("campaigns", "campaign_cost", "ratio", den="campaign_leads"),
                    "y2",
                ),
            ),
            "money",
            "M5 by campaign channel over the range.",
            y2_fmt="money",
        ),
        Chart(
            "web_by_source",
            "Web sessions and goal rate by traffic source",
            "source",
            (
                Series("sessions", Figure("web", "sessions")),
                Series(
                    "goal rate", Figure("web", "goal_completions", "ratio", den="sessions"), "y2"
                ),
            ),
            "count",
            "Sessions and goal completions / sessions by traffic source over the range.",
            y2_fmt="rate",
        ),
        Chart(
            "email_by_month",
            "Email list subscribes and unsubscribes by month",
            "month",
            (
                Series("subscribes", Figure("email", "subscribes")),
                Series("unsubscribes", Figure("email", "unsubscribes")),
            ),
            "count",
            "Subscribe and unsubscribe events on the email lists per month.",
            kind="line",
        ),
    ),
)

CUSTOMERS = Area(
    "customers",
    "Customers and retention",
    cards=(
        Card(
            "retention_rate",
            "Customer retention",
            Figure("retention", "retained_customers", "ratio", den="active_customers_at_start"),
            "rate",
            "C2: customers active at a month's start and end / active at its start, "
            "pooled over the months of the range.",
        ),
        Card(
            "churn_rate",
            "Customer churn",
            Figure("retention", "churned_customers", "ratio", den="active_customers_at_start"),
            "rate",
            "Churned customers / active at the month start, pooled over the range (1 - C2).",
        ),
        Card(
            "new_customers",
            "New customers",
            Figure("retention", "new_customers"),
            "count",
            "C1: accounts whose first won deal or first revenue order fell in the range.",
        ),
        Card(
            "renewal_rate",
            "Contract renewal rate",
            Figure("renewals", "contracts_renewed", "ratio", den="contracts_ending"),
            "rate",
            "C3: contracts renewed / contracts ending in the range.",
        ),
        Card(
            "contracts_ending",
            "Contracts ending",
            Figure("renewals", "contracts_ending"),
            "count",
            "C3's denominator: contracts whose term ends in the range.",
        ),
        *MRR_CARDS,
    ),
    charts=(
        Chart(
            "retention_by_month",
            "Retention by month",
            "month",
            (
                Series("active at start", Figure("retention", "active_customers_at_start")),
                Series(
                    "retention rate",
                    Figure(
                        "retention", "retained_customers", "ratio", den="active_customers_at_start"
                    ),
                    "y2",
                ),
            ),
            "count",
            "C2 per month: active at the month start (bars), share still active at its end.",
            y2_fmt="rate",
        ),
        Chart(
            "renewals_by_month",
            "Contracts ending and renewal rate by month",
            "month",
            (
                Series("contracts ending", Figure("renewals", "contracts_ending")),
                Series(
                    "renewal rate",
                    Figure("renewals", "contracts_renewed", "ratio", den="contracts_ending"),
                    "y2",
                ),
            ),
            "count",
            "C3 per month of the contract end: contracts ending (bars) and the share renewed.",
            y2_fmt="rate",
        ),
        *MRR_CHARTS,
    ),
)

RECEIVABLES = Area(
    "receivables",
    "Receivables",
    cards=(
        Card(
            "open_receivables",
            "Open receivables",
            Figure("receivables", "open_receivables_amount", at_end=True),
            "money",
            "F2: open receivables at the end of the range's last month.",
        ),
        Card(
            "dso",
            "Days sales outstanding",
            Figure(
                "receivables",
                "open_receivables_amount",
                "ratio",
                den="invoiced_trailing_90d_amount",
                at_end=True,
                scale=90.0,
            ),
            "days",
            "F3: open receivables / amount invoiced in the trailing 90 days × 90, at the end "
            "of the range's last month.",
        ),
        Card(
            "collection_rate",
            "Collection rate",
            Figure("receivables", "collected_of_due_amount", "ratio", den="due_amount"),
            "rate",
            "F4: amount collected of what fell due / amount that fell due, pooled over the range.",
        ),
        Card(
            "invoiced",
            "Invoiced",
            Figure("invoices", "invoiced_amount"),
            "money",
            "Amount of the invoices issued in the range.",
        ),
        Card(
            "collected_share",
            "Collected share",
            Figure("invoices", "collected_amount", "ratio", den="invoiced_amount"),
            "rate",
            "Collected to date / invoiced, for the invoices issued in the range.",
        ),
        Card(
            "open_invoiced",
            "Still open",
            Figure("invoices", "open_amount"),
            "money",
            "Amount still open today on the invoices issued in the range.",
        ),
    ),
    charts=(
        Chart(
            "receivables_by_month",
            "Open and overdue receivables at month end",
            "month",
            (
                Series("open", Figure("receivables", "open_receivables_amount")),
                Series("overdue", Figure("receivables", "overdue_receivables_amount")),
            ),
            "money",
            "F2: open receivables at each month end and the part past due.",
            kind="line",
        ),
        Chart(
            "invoiced_by_month",
            "Invoiced and still open by month of issue",
            "month",
            (
                Series("invoiced", Figure("invoices", "invoiced_amount")),
                Series("still open", Figure("invoices", "open_amount")),
            ),
            "money",
            "Invoiced and the part still open, per month of the invoice date.",
        ),
    ),
)

SERVICE = Area(
    "service",
    "Service volume and SLA",
    cards=(
        Card(
            "cases",
            "Cases opened",
            Figure("cases", "cases_opened"),
            "count",
            "Cases opened in the range.",
        ),
        Card(
            "complaints",
            "Complaints",
            Figure("cases", "complaints"),
            "count",
            "Cases opened in the range that are complaints.",
        ),
        Card(
            "sla_rate",
            "SLA met",
            Figure("cases", "sla_met", "ratio", den="sla_due"),
            "rate",
            "V8: cases that met both targets of their priority / cases whose resolution target fell due in the range (met or missed) and can be judged on both.",
        ),
    ),
    charts=(
        Chart(
            "cases_by_month",
            "Cases opened and SLA met by month",
            "month",
            (
                Series("cases opened", Figure("cases", "cases_opened")),
                Series("SLA met", Figure("cases", "sla_met", "ratio", den="sla_due"), "y2"),
            ),
            "count",
            "Cases opened (bars, month opened) and V8 share meeting their targets (line, month the resolution target fell due).",
            y2_fmt="rate",
        ),
    ),
)

ACTIVITY = Area(
    "activity",
    "Rep activity and adoption",
    cards=(
        Card(
            "activities",
            "Activities logged",
            Figure("activities", "logged"),
            "count",
            "Activities logged (created) in the range, abandoned calls left out (as A3).",
        ),
        Card(
            "sales_calls",
            "Sales calls",
            Figure("activities", "sales_calls"),
            "count",
            "Done sales calls, by the month completed (the actual of the calls target).",
            target="calls",
        ),
        Card(
            "complete_share",
            "Complete records",
            Figure("activities", "complete_records", "ratio", den="logged"),
            "rate",
            "A3 adoption: logged activities with every required field filled / logged.",
        ),
    ),
    charts=(
        Chart(
            "activities_by_rep",
            "Activities and complete records by rep",
            "rep",
            (
                Series("activities logged", Figure("activities", "logged")),
                Series(
                    "complete records",
                    Figure("activities", "complete_records", "ratio", den="logged"),
                    "y2",
                ),
            ),
            "count",
            "Activities logged and A3 complete-record share by rep over the range.",
            y2_fmt="rate",
        ),
    ),
)

AREAS: tuple[Area, ...] = (SALES, PARTNERS, MARKETING, CUSTOMERS, RECEIVABLES, SERVICE, ACTIVITY)
