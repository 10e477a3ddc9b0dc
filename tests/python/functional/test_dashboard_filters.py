"""The dashboard's filters, clicked in headless Chromium (Playwright driving
the system Chromium, no browser download): the figures shown for a date range,
a region, a team + lead source and a lead source on the marketing tab equal
what SQL on the published marts file says, computed here independently of the
page's cubes (single-dimension filters from the long KPI tables' rows, the
combination from fct_opportunities)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import duckdb
import pytest
from test_dashboard import FLAGS, chromium  # noqa: F401  (the fixture)

playwright_api = pytest.importorskip("playwright.sync_api")

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("warehouse")]


def _one(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any]) -> tuple[Any, ...]:
    row = con.execute(sql, params).fetchone()
    assert row is not None
    return tuple(row)


def _shown(page: Any, key: str) -> float | None:
    card = page.locator(f'[data-card="{key}"]')
    assert card.get_attribute("data-state") == "value", f"{key}: {card.inner_text()}"
    raw = card.get_attribute("data-value")
    return float(raw) if raw else None


def _close(shown: float | None, expected: Any, tol: float = 0.005) -> bool:
    if expected is None:
        return shown is None
    return shown is not None and abs(shown - float(expected)) <= tol


def _choose(page: Any, **filters: str) -> None:
    """Reset, then pick each filter (select id f-<name>) and wait for the redraw."""
    page.click("#f-reset")
    for name, value in filters.items():
        before = page.evaluate("Number(document.body.dataset.rendered)")
        page.select_option(f"#f-{name}", value)
        page.wait_for_function(f"Number(document.body.dataset.rendered) > {before}")


SALES_SQL = """
select sum(won_revenue), sum(opportunities_won),
       cast(sum(opportunities_won) as double) / nullif(sum(opportunities_won + opportunities_lost), 0)
from sales.kpi_sales_monthly
where dimension_name = ? and dimension_value = ? and month_start_date between ? and ?
"""


#: H2 over a range: opening of its first month, closing of its last, inflows summed
WATERFALL_SQL = """
select max(case when month_start_date = ? then opening_amount end),
       max(case when month_start_date = ? then closing_amount end),
       sum(created_amount + increased_amount + became_known_amount + reopened_amount)
from sales.kpi_sales_pipeline_waterfall_monthly
where dimension_name = ? and dimension_value = ? and month_start_date between ? and ?
"""


def test_filters_recompute_the_figures(demo_warehouse, chromium: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    publish_dir = demo_warehouse.settings.publish_dir
    con = duckdb.connect(str(publish_dir / "crm_marts.duckdb"), read_only=True)
    with playwright_api.sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=chromium,
            args=[f for f in FLAGS if not f.startswith(("--headless", "--virtual-time"))],
        )
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto((publish_dir / "dashboard.html").resolve().as_uri())
        page.wait_for_function("Number(document.body.dataset.rendered) >= 1")
        data = page.evaluate("JSON.parse(document.getElementById('dash-data').textContent)")
        months: list[str] = data["months"]
        last = months.index(data["last_full_month"])
        first_of = lambda i: f"{months[i]}-01"  # noqa: E731

        def check_sales(dimension: str, member: str, lo: int, hi: int) -> None:
            revenue, won, rate = _one(
                con, SALES_SQL, [dimension, member, first_of(lo), first_of(hi)]
            )
            assert won and won > 0, f"pick a slice with won deals: {dimension}={member}"
            assert _close(_shown(page, "won_revenue"), revenue), (dimension, member)
            assert _shown(page, "deals_won") == won, (dimension, member)
            assert _close(_shown(page, "win_rate"), rate, 1e-9), (dimension, member)

        def check_waterfall(team: str | None, lo: int, hi: int) -> None:
            lo_month, hi_month = first_of(lo), first_of(hi)
            member = ["team", team] if team else ["all", "all"]
            opening, closing, added = _one(
                con, WATERFALL_SQL, [lo_month, hi_month, *member, lo_month, hi_month]
            )
            assert _close(_shown(page, "pipeline_opening"), opening), team
            assert _close(_shown(page, "pipeline_closing"), closing), team
            assert _close(_shown(page, "pipeline_added"), added), team

        # 1. the default: the 12 months to the last full month, nothing else
        check_sales("all", "all", last - 11, last)
        check_waterfall(None, last - 11, last)
        opened, due, met = _one(
            con,
            "select sum(cases_opened), sum(sla_cases_due), sum(sla_cases_met) "
            "from service.kpi_service_cases_monthly where month_start_date between ? and ?",
            [first_of(last - 11), first_of(last)],
        )
        page.click('nav.tabs button[data-tab="service"]')
        assert _shown(page, "cases") == opened
        assert _close(_shown(page, "sla_rate"), met / due if due else None, 1e-9)
        retained, at_start = _one(
            con,
            "select sum(retained_customers), sum(active_customers_at_start) "
            "from customers.kpi_customer_retention_monthly where month_start_date between ? and ?",
            [first_of(last - 11), first_of(last)],
        )
        page.click('nav.tabs button[data-tab="customers"]')
        assert _close(_shown(page, "retention_rate"), retained / at_start, 1e-9)
        (closing_mrr,) = _one(
            con,
            "select closing_mrr from finance.kpi_mrr_movements_monthly_total "
            "where month_start_date = ?",
            [first_of(last)],
        )
        assert _close(_shown(page, "closing_mrr"), closing_mrr)
        (dso,) = _one(
            con,
            "select days_sales_outstanding from finance.kpi_receivables_monthly "
            "where month_start_date = ?",
            [first_of(last)],
        )
        page.click('nav.tabs button[data-tab="receivables"]')
        assert _close(_shown(page, "dso"), dso, 0.005001)  # the mart rounds to 2 places
        page.click('nav.tabs button[data-tab="sales"]')
        # 2. a date range of 6 months
        _choose(page, **{"from": str(last - 5), "to": str(last)})
        check_sales("all", "all", last - 5, last)
        shown = page.locator('[data-card="won_revenue"] .compare').inner_text()
        assert "vs prior 6 months" in shown and "vs a year earlier" in shown
        # the charts follow: one bar per month of the range, summing to the card
        chart = page.locator('[data-fchart="won_by_month"]')
        assert chart.get_attribute("data-state") == "data"
        bars = json.loads(chart.get_attribute("data-y") or "[]")
        assert len(bars) == 6 and _close(sum(b or 0 for b in bars), _shown(page, "won_revenue"))
        # 3. a region (the one with the most won deals over the default range)
        (region,) = _one(
            con,
            "select dimension_value from sales.kpi_sales_monthly where dimension_name = 'region' "
            "and month_start_date between ? and ? group by 1 order by sum(opportunities_won) desc, 1 "
            "limit 1",
            [first_of(last - 11), first_of(last)],
        )
        _choose(page, region=region)
        check_sales("region", region, last - 11, last)
        # a rep and a partner alone, against the owner and partner rows of the same mart
        for dimension, select in (("owner", "rep"), ("partner", "partner")):
            (member,) = _one(
                con,
                "select dimension_value from sales.kpi_sales_monthly where dimension_name = ? "
                "and month_start_date between ? and ? group by 1 "
                "order by sum(opportunities_won) desc, 1 limit 1",
                [dimension, first_of(last - 11), first_of(last)],
            )
            _choose(page, **{select: member})
            check_sales(dimension, member, last - 11, last)
        # 4. team + lead source: the combination from the fact table
        team, source, won, revenue, rate = _one(
            con,
            "select team_id, lead_source, count(*) filter (where is_won), "
            "sum(amount) filter (where is_won), "
            "count(*) filter (where is_won) / count(*) filter (where is_won or is_lost) "
            "from core.fct_opportunities where is_closed and closed_month_start_date between ? and ? "
            "and team_id is not null and lead_source is not null "
            "group by all order by 3 desc, 1, 2 limit 1",
            [first_of(last - 11), first_of(last)],
        )
        # the pipeline waterfall (H2) follows one of team, rep and region: the card's
        # opening and closing are the first and last month's rows of the long mart
        (wf_team,) = _one(
            con,
            "select team_id from core.fct_opportunities where team_id is not null "
            "group by 1 order by count(*) desc, 1 limit 1",
            [],
        )
        _choose(page, team=wf_team)
        check_waterfall(wf_team, last - 11, last)
        _choose(page, team=team, lead_source=source)
        assert _shown(page, "deals_won") == won
        assert _close(_shown(page, "won_revenue"), revenue)
        assert _close(_shown(page, "win_rate"), rate, 1e-9)
        # the view is in the address: the link opens the same figures in a new page
        linked = browser.new_page()
        linked.goto(page.url)
        linked.wait_for_function("Number(document.body.dataset.rendered) >= 1")
        view = parse_qs(urlsplit(page.url).fragment)
        assert view["team"] == [team] and view["lead_source"] == [source]
        assert _shown(linked, "deals_won") == won
        linked.close()
        # a page whose cube has no team says so instead of an unfiltered number (the
        # waterfall is not split by lead source, MRR by neither)
        wf = page.locator('[data-card="pipeline_opening"]')
        assert wf.get_attribute("data-state") == "na" and "lead source" in wf.inner_text()
        page.click('nav.tabs button[data-tab="customers"]')
        assert page.locator('[data-card="closing_mrr"]').get_attribute("data-state") == "na"
        page.click('nav.tabs button[data-tab="marketing"]')
        assert page.locator('[data-card="sessions"]').get_attribute("data-state") == "na"
        # 5. a lead source on the marketing tab (the one with the most leads), against
        # the funnel mart
        lead_source, leads = _one(
            con,
            "select lead_source, sum(leads_created) from marketing.kpi_marketing_funnel_monthly "
            "where month_start_date between ? and ? group by 1 order by 2 desc, 1 limit 1",
            [first_of(last - 11), first_of(last)],
        )
        _choose(page, lead_source=lead_source)
        assert leads > 0 and _shown(page, "leads") == leads
        assert page.locator('[data-fchart="leads_by_source"]').get_attribute("data-state") == "data"
        assert not errors, errors
        browser.close()
    con.close()


def test_a_filter_a_fitted_cube_lost_says_why(  # type: ignore[no-untyped-def]
    demo_warehouse,
    chromium: str,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """With the cube limit one row below the demo's opportunities cube, that
    cube loses its widest dimension (the partner here; the rep at scale 100):
    that filter shows n/a and says why, a team filter still gives the mart's
    figures."""
    from crm_warehouse.serve import dashboard_cubes
    from crm_warehouse.serve.dashboard import write_dashboard

    marts = demo_warehouse.settings.publish_dir / "crm_marts.duckdb"
    con = duckdb.connect(str(marts), read_only=True)
    spec = next(c for c in dashboard_cubes.CUBES if c.key == "opportunities")
    (rows,) = _one(con, f"select count(*) from ({spec.sql})", [])
    widths = {
        d: _one(con, f"select count(distinct {d}) from ({spec.sql})", [])[0] for d in spec.dims
    }
    widest = max(widths, key=lambda d: widths[d])  # the partner in the demo data
    assert widest != "team" and widths[widest] > 1, widths
    monkeypatch.setattr(dashboard_cubes, "MAX_CUBE_ROWS", rows - 1)
    out = write_dashboard(marts, tmp_path / "dashboard.html").path
    with playwright_api.sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=chromium,
            args=[f for f in FLAGS if not f.startswith(("--headless", "--virtual-time"))],
        )
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(out.resolve().as_uri())
        page.wait_for_function("Number(document.body.dataset.rendered) >= 1")
        data = page.evaluate("JSON.parse(document.getElementById('dash-data').textContent)")
        assert data["cubes"]["opportunities"]["dropped"] == [widest]
        months: list[str] = data["months"]
        last = months.index(data["last_full_month"])
        (team,) = _one(
            con,
            "select dimension_value from sales.kpi_sales_monthly where dimension_name = 'team' "
            "and month_start_date between ? and ? group by 1 order by sum(opportunities_won) desc, 1 "
            "limit 1",
            [f"{months[last - 11]}-01", f"{months[last]}-01"],
        )
        _choose(page, team=team)
        revenue, won, _ = _one(
            con, SALES_SQL, ["team", team, f"{months[last - 11]}-01", f"{months[last]}-01"]
        )
        assert _shown(page, "deals_won") == won
        assert _close(_shown(page, "won_revenue"), revenue)
        _choose(page, **{widest: data["members"][widest][0]})
        card = page.locator('[data-card="won_revenue"]')
        assert card.get_attribute("data-state") == "na"
        assert "too many combinations" in card.inner_text()
        browser.close()
