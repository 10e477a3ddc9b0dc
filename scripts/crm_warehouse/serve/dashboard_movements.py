"""The movement figures of the dashboard's area tabs (issue #20): the pipeline
waterfall (H2) on "Sales and pipeline" and the MRR movements (R1, R2) on
"Customers and retention", from the cubes `waterfall` and `mrr` of
serve.dashboard_cubes. Opening balances read the range's first month, closing
ones its last, movements sum over the range; outflows are drawn below the axis
(scale -1), so opening + the bars = closing.

The waterfall follows the date range and one of team, rep and region at a
time (the mart's long rows); MRR follows the date range only (the mart splits
by the account's region and owner, not by the filters' deal dimensions), and
says "n/a: not split by ..." for the others.
"""

from __future__ import annotations

from crm_warehouse.serve.dashboard_figures import Card, Chart, Figure, Series

_W = "waterfall"
PIPELINE_OPENING = Figure(_W, "opening_amount", at_start=True)
PIPELINE_CLOSING = Figure(_W, "closing_amount", at_end=True)

WATERFALL_CARDS: tuple[Card, ...] = (
    Card(
        "pipeline_opening",
        "Open pipeline at the start",
        PIPELINE_OPENING,
        "money",
        "H2: amount of the deals open at the end of the month before the range "
        "(kpi_sales_pipeline_waterfall_monthly.opening_amount of the range's first month).",
    ),
    Card(
        "pipeline_closing",
        "Open pipeline at the end",
        PIPELINE_CLOSING,
        "money",
        "H2: amount of the deals open at the balance date of the range's last month "
        "(closing_amount); = the opening + what entered - what left in between.",
    ),
    Card(
        "pipeline_added",
        "Added to the pipeline",
        Figure(_W, "created_amount+increased_amount+became_known_amount+reopened_amount"),
        "money",
        "H2: created + increased + amount became known + re-opened amounts over the range.",
    ),
    Card(
        "pipeline_taken_out",
        "Taken out of the pipeline",
        Figure(
            _W,
            "decreased_amount+became_unknown_amount+won_amount+lost_amount+exited_unknown_amount",
        ),
        "money",
        "H2: decreased + amount became unknown + won + lost + left without a known outcome, "
        "over the range.",
    ),
)

_OUT = -1.0
WATERFALL_CHARTS: tuple[Chart, ...] = (
    Chart(
        "pipeline_movements_by_month",
        "Pipeline movements by month",
        "month",
        (
            Series("created", Figure(_W, "created_amount")),
            Series("increased", Figure(_W, "increased_amount")),
            Series("amount became known", Figure(_W, "became_known_amount")),
            Series("re-opened", Figure(_W, "reopened_amount")),
            Series("decreased", Figure(_W, "decreased_amount", scale=_OUT)),
            Series("amount became unknown", Figure(_W, "became_unknown_amount", scale=_OUT)),
            Series("won", Figure(_W, "won_amount", scale=_OUT)),
            Series("lost", Figure(_W, "lost_amount", scale=_OUT)),
            Series("left, outcome unknown", Figure(_W, "exited_unknown_amount", scale=_OUT)),
        ),
        "money",
        "H2 per month: what entered the open pipeline (created, increased, amount became "
        "known, re-opened) above the axis, what left it (decreased, amount became unknown, "
        "won, lost, left without a known outcome) below; "
        "a month's opening + its bars = its closing. One of team, rep or region at a time.",
        barmode="relative",
    ),
)

_M = "mrr"
CLOSING_MRR = Figure(_M, "closing_mrr", at_end=True)
MRR_GAINS = "new_mrr+expansion_mrr+reactivation_mrr"
MRR_LOSSES = "contraction_mrr+churned_mrr"

MRR_CARDS: tuple[Card, ...] = (
    Card(
        "closing_mrr",
        "MRR at the end",
        CLOSING_MRR,
        "money",
        "R1: monthly recurring revenue at the balance date of the range's last month "
        "(kpi_mrr_movements_monthly.closing_mrr, company).",
    ),
    Card(
        "closing_arr",
        "ARR at the end",
        Figure(_M, "closing_mrr", at_end=True, scale=12.0),
        "money",
        "R1: 12 × the MRR at the end of the range's last month (closing_arr).",
    ),
    Card(
        "net_new_mrr",
        "Net new MRR",
        Figure(_M, MRR_GAINS, "diff", den=MRR_LOSSES),
        "money",
        "R2: new + expansion + reactivation - contraction - churn over the range "
        "(= MRR at the end - MRR at the start when every account's MRR is known).",
    ),
    Card(
        "churned_mrr",
        "Churned MRR",
        Figure(_M, "churned_mrr"),
        "money",
        "R2: previous MRR of the accounts whose MRR fell to 0 in the range.",
    ),
)

MRR_CHARTS: tuple[Chart, ...] = (
    Chart(
        "mrr_movements_by_month",
        "Recurring revenue movements by month",
        "month",
        (
            Series("new", Figure(_M, "new_mrr")),
            Series("expansion", Figure(_M, "expansion_mrr")),
            Series("reactivation", Figure(_M, "reactivation_mrr")),
            Series("contraction", Figure(_M, "contraction_mrr", scale=_OUT)),
            Series("churn", Figure(_M, "churned_mrr", scale=_OUT)),
        ),
        "money",
        "R2 per month: MRR gained (new, expansion, reactivation) above the axis and lost "
        "(contraction, churn) below; a month's opening + its bars = its closing. Company "
        "only: the date range applies, the other filters do not.",
        barmode="relative",
    ),
)
