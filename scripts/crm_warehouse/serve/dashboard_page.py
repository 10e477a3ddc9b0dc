"""The dashboard page: a filter bar, one tab per area whose cards and charts
the page's script (dashboard_app.js) computes from the embedded cubes for the
filters chosen, and a last tab with the charts drawn as published.

One self-contained file: plotly.js, the script and the data are inline, so it
opens from disk or a CI artifact with no server (docs/serving.md says why).
"""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

from crm_warehouse.serve.dashboard_areas import AREAS
from crm_warehouse.serve.dashboard_cubes import FILTER_DIMS, FILTER_LABELS
from crm_warehouse.serve.dashboard_figures import Area, areas_json

CSS = """
nav.tabs { display: flex; flex-wrap: wrap; gap: 4px; padding: 0 32px; border-bottom: 1px solid var(--line); }
nav.tabs button { border: 0; background: none; padding: 8px 12px; font: inherit; cursor: pointer;
                  color: var(--muted); border-bottom: 3px solid transparent; }
nav.tabs button.active { color: var(--ink); border-bottom-color: var(--accent); font-weight: 600; }
#filters { display: flex; flex-wrap: wrap; gap: 10px 16px; align-items: end; padding: 10px 32px;
           background: #fff; border-bottom: 1px solid var(--line); position: sticky; top: 0; z-index: 5; }
#filters label { display: flex; flex-direction: column; font-size: 11px; color: var(--muted);
                 text-transform: uppercase; letter-spacing: .03em; gap: 2px; }
#filters select { font: inherit; font-size: 13px; padding: 3px 4px; max-width: 190px; }
#filters button { font: inherit; padding: 4px 10px; }
#filters.disabled { opacity: .45; pointer-events: none; }
#filter-summary { padding: 8px 32px 0; color: var(--muted); font-size: 12px; }
.page[hidden] { display: none; }
.kpi .compare { color: var(--muted); font-size: 12px; }
.page .intro { padding: 8px 32px 0; margin: 0; color: var(--muted); font-size: 12px; }
"""


def _card(card: Any) -> str:
    return (
        f'<div class="kpi" data-card="{card.key}" data-state="pending" '
        f'title="{html.escape(card.definition)}"><div class="label">{html.escape(card.label)}</div>'
        '<div class="value">…</div><div class="compare"></div></div>'
    )


def _chart(chart: Any) -> str:
    return (
        f'<section class="chart" data-fchart="{chart.key}" data-state="pending">'
        f"<h2>{html.escape(chart.title)}</h2>"
        f'<p class="definition">{html.escape(chart.definition)}</p><div class="plot"></div>'
        '<div class="no-data" role="note" style="display:none"><strong></strong><span></span></div>'
        "</section>"
    )


def _area(area: Area, first: bool) -> str:
    cards = "".join(_card(c) for c in area.cards)
    charts = "".join(_chart(c) for c in area.charts)
    return (
        f'<div class="page" id="page-{area.key}"{"" if first else " hidden"}>'
        f'<section class="kpis">{cards}</section><main>{charts}</main></div>'
    )


def _filters() -> str:
    selects = [
        '<label>From<select id="f-from"></select></label>',
        '<label>To<select id="f-to"></select></label>',
    ]
    selects += [
        f'<label>{html.escape(FILTER_LABELS[d])}<select id="f-{d}"></select></label>'
        for d in FILTER_DIMS
    ]
    return (
        f'<form id="filters" onsubmit="return false">{"".join(selects)}'
        '<button type="button" id="f-reset">Reset</button></form>'
        '<div id="filter-summary"></div>'
    )


def _json_script(element_id: str, data: Any) -> str:
    text = json.dumps(data, separators=(",", ":"), default=str).replace("</", "<\\/")
    return f'<script type="application/json" id="{element_id}">{text}</script>'


def page_body(
    data: dict[str, Any],
    published: str,
    areas: tuple[Area, ...] = AREAS,
) -> str:
    """The body between the header and the footer: filters, tabs, pages, the
    embedded data and the script."""
    tabs = "".join(
        f'<button type="button" data-tab="{a.key}"{" class=active" if i == 0 else ""}>'
        f"{html.escape(a.title)}</button>"
        for i, a in enumerate(areas)
    )
    tabs += '<button type="button" data-tab="published">As published</button>'
    pages = "".join(_area(a, i == 0) for i, a in enumerate(areas))
    pages += (
        '<div class="page" id="page-published" hidden><p class="intro">The marts as published, '
        "whole company: these charts read the monthly KPI tables' <code>all</code> rows and do "
        f"not follow the filters (the other tabs do).</p>{published}</div>"
    )
    script = (Path(__file__).with_name("dashboard_app.js")).read_text(encoding="utf-8")
    return (
        f'<nav class="tabs">{tabs}</nav>{_filters()}{pages}'
        f"{_json_script('dash-data', data)}{_json_script('dash-areas', areas_json(areas))}"
        f"<script>{script}</script>"
    )
