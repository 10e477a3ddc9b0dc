"""Exports with only some entities build green, and say what they lack.

Two real partial exports, each imported, built and published once for this
module (as `crm-warehouse import` does):

- the Maven deals alone (an opportunities-only export: no reps, accounts or
  products; the mapping is mappings/maven_crm_sales_opportunities.yml cut to
  its opportunities block), and
- Olist as mapped in mappings/ (leads, opportunities, accounts, reps).

Checked: the build is green although every deal points to a rep, account and
product the export lacks; the dangling references and the leads without a
source are counted in the data-quality marts; KPIs fed by an absent entity are
null (not 0) while those of present entities are numbers (0 where a month has
no rows); the refresh summary and the dashboard say "not in this export" for
the absent ones, with the entity, and name the period of each headline.

Expected figures come from the source files (plain queries, written beside
each figure), not from the warehouse's SQL.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from published_imports import DATASETS, MAPPINGS, Published, published, refresh_import

# tieout_b: the Olist tie-out builds the same import; one worker builds it once
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("tieout_b")]

MAVEN = "maven_crm_sales_opportunities"
OLIST = "olist_marketing_funnel"


def _opportunities_only_mapping(path: Path) -> Path:
    """The Maven mapping without its accounts, products, teams and reps."""
    text = (MAPPINGS / f"{MAVEN}.yml").read_text(encoding="utf-8")
    head, entities = text.split("\nentities:\n", 1)
    opportunities = entities.split("\n  accounts:\n", 1)[0]
    assert "  opportunities:" in opportunities and "reps:" not in opportunities
    path.write_text(f"{head}\nentities:\n{opportunities}\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def deals_only(tmp_path_factory: pytest.TempPathFactory) -> Published:
    if not (DATASETS / MAVEN).is_dir():
        pytest.skip(f"public dataset {MAVEN} not found in {DATASETS}")
    from crm_warehouse.imports.importer import import_export

    base = tmp_path_factory.mktemp("deals_only")
    mapping = _opportunities_only_mapping(base / "deals_only.yml")
    workdir = base / "import"
    result = import_export(mapping, DATASETS / MAVEN, workdir)
    assert set(result.rows_written) == {"opportunities"}
    # refresh raises StepFailed when a data test fails: a green build is the test
    report = refresh_import(workdir)
    return Published(name="deals_only", source=DATASETS / MAVEN, workdir=workdir, report=report)


@pytest.fixture(scope="module")
def olist(tmp_path_factory: pytest.TempPathFactory) -> Published:
    return published(OLIST, tmp_path_factory)


def _summary(pub: Published) -> list[str]:
    from crm_warehouse.serve.runlog import summary_lines

    return summary_lines(pub.report.to_dict())


# --------------------------------------------------------------------------- deals only


def test_deals_only_builds_green_and_counts_dangling_references(deals_only: Published) -> None:
    assert deals_only.report.status == "ok"
    build = next(s for s in deals_only.report.steps if s.name == "dbt build")
    assert not any(k.endswith((":fail", ":error")) for k in build.details["counts"])
    present = deals_only.query(
        "select entity_name, records_kept from data_quality.dq_entity_presence where is_present"
    )
    assert present == [("opportunities", 8800)]
    assert deals_only.query(
        "select count(*) from data_quality.dq_entity_presence "
        "where not is_present and absence_reason = 'not in this export'"
    ) == [(21,)]
    # sales_pipeline.csv: every deal has a sales_agent (30 distinct) and a product
    # (7 distinct, GTXPro mapped to GTX Pro); 7,375 have an account (85 distinct),
    # 1,425 open deals have none.
    rows = deals_only.query(
        "select foreign_key, missing_reference_records, missing_reference_values, "
        "is_referenced_entity_absent from data_quality.dq_missing_references "
        "where missing_reference_records > 0 order by 1"
    )
    assert rows == [
        ("opportunities.account_id", 7375, 85, True),
        ("opportunities.owner_rep_id", 8800, 30, True),
        ("opportunities.product_id", 8800, 7, True),
    ]


def test_deals_only_kpis_of_absent_entities_are_null(deals_only: Published) -> None:
    # leads, cases, invoices, activities are absent: null in every month, never 0
    for table, column in (
        ("marketing.kpi_marketing_leads_monthly", "leads_created"),
        ("marketing.kpi_marketing_funnel_monthly", "leads_created"),
        ("service.kpi_service_cases_monthly", "cases_opened"),
        ("finance.kpi_receivables_monthly", "invoices_issued"),
        ("finance.kpi_mrr_movements_monthly", "closing_mrr"),
        ("finance.kpi_mrr_retention_monthly", "cohort_opening_mrr"),
        ("activity.kpi_activity_team_monthly", "calls"),
    ):
        assert deals_only.query(f"select count(*), count({column}) from {table}")[0] == (
            deals_only.query(f"select count(*) from {table}")[0][0],
            0,
        ), table
    # the funnel's opportunity counts come from the deals, present: numbers
    # (engage dates Oct 2016 - Dec 2017 plus the 500 prospects dated 2017-12-31)
    created = deals_only.query(
        "select sum(opportunities_created), count(*) - count(opportunities_created) "
        "from marketing.kpi_marketing_funnel_monthly"
    )[0]
    assert created == (8800, 0)
    # sales: counts from deals are there; leads (absent) are null
    rows = deals_only.query(
        "select sum(opportunities_won), count(leads_created), count(closed_opportunity_calls) "
        "from sales.kpi_sales_monthly where dimension_name = 'all'"
    )
    assert rows == [(4238, 0, 0)]
    # retention: customers come from won deals (present): numbers, not null
    assert deals_only.query(
        "select count(*) - count(active_customers_at_start) from customers.kpi_customer_retention_monthly"
    ) == [(0,)]


def test_deals_only_summary_and_dashboard_say_not_in_this_export(deals_only: Published) -> None:
    lines = _summary(deals_only)
    text = "\n".join(lines)
    # the last full month before the as-of date 2017-12-31 is December 2017
    headline = next(line for line in lines if line.startswith("Headline KPIs: "))
    # select count(*) from sales_pipeline.csv where deal_stage = 'Won'
    #   and close_date >= '2017-12-01'  -> 511
    won = (
        duckdb.connect()
        .execute(
            f"select count(*) from read_csv('{DATASETS / MAVEN / 'sales_pipeline.csv'}') "
            "where deal_stage = 'Won' and close_date >= date '2017-12-01'"
        )
        .fetchall()[0][0]
    )
    assert f"Deals won (December 2017) {won:,}" in headline, headline
    assert "Win rate (12 months to December 2017)" in headline
    absent = next(line for line in lines if line.startswith("Not in this export: "))
    assert "Days sales outstanding (no invoices)" in absent
    assert "SLA compliance (no support cases)" in absent
    # KPIs of absent entities are never shown as numbers (no "0" for no invoices)
    assert "Days sales outstanding" not in headline and "SLA compliance" not in headline
    assert "no rows" not in text
    for kpi in deals_only.report.summary["kpis"]:
        if kpi["key"] in ("dso", "sla_compliance_rate"):
            assert (kpi["state"], kpi["value"]) == ("absent", None)
    page = (deals_only.workdir / "publish" / "dashboard.html").read_text(encoding="utf-8")
    for chart, entity in (
        ("funnel_by_lead_source", "no leads"),
        ("receivables_aging", "no invoices"),
        ("sla_compliance", "no support cases"),
        ("partner_scorecard", "no partners"),
    ):
        section = page.split(f'data-chart="{chart}"', 1)[1].split("</section>", 1)[0]
        assert 'data-state="absent"' in section and "not in this export" in section, chart
        assert entity in section, chart
    assert 'data-kpi="dso" data-state="absent"' in page
    dashboard = next(s for s in deals_only.report.steps if s.name == "dashboard")
    assert not any("no rows" in line for line in dashboard.details.get("no_data", []))


# --------------------------------------------------------------------------- Olist


def test_olist_builds_green_with_missing_sources_in_data_quality(olist: Published) -> None:
    assert olist.report.status == "ok"
    # olist_marketing_qualified_leads_dataset.csv: origin blank on 60, 'unknown' on
    # 1,099 -> 1,159 leads without a source; sdr_id is known only for the 842
    # converted leads -> 8,000 - 842 = 7,158 leads without an owner
    assert olist.query(
        "select missing_lead_sources, missing_owners from data_quality.dq_table_summary "
        "where table_name = 'leads'"
    ) == [(1159, 7158)]
    assert olist.query(
        "select sum(records_affected) from data_quality.dq_issues "
        "where issue_type = 'missing_value' and table_name = 'leads' and column_name = 'lead_source'"
    ) == [(1159,)]
    # every deal's rep, seller and lead is in the export: nothing dangles
    assert olist.query(
        "select sum(missing_reference_records) from data_quality.dq_missing_references"
    ) == [(0,)]
    assert sorted(
        r[0]
        for r in olist.query(
            "select entity_name from data_quality.dq_entity_presence where is_present"
        )
    ) == ["accounts", "leads", "opportunities", "reps"]


def test_olist_present_kpis_are_numbers_absent_ones_null(olist: Published) -> None:
    # leads present: 8,000 leads, a number in every month (0 in a month without any)
    assert olist.query(
        "select sum(leads_created), count(*) - count(leads_created) "
        "from marketing.kpi_marketing_leads_monthly"
    ) == [(8000, 0)]
    # web sessions, cases and invoices are absent: null
    for table, column in (
        ("marketing.kpi_marketing_web_monthly", "sessions"),
        ("service.kpi_service_cases_monthly", "cases_opened"),
        ("finance.kpi_receivables_monthly", "invoices_issued"),
        ("finance.kpi_mrr_movements_monthly", "closing_mrr"),
    ):
        assert olist.query(f"select count({column}) from {table}") == [(0,)], table
    # no contracts: the MRR tables say so instead of showing 0 MRR
    assert olist.query("select distinct data_status from finance.kpi_mrr_movements_monthly") == [
        ("not in this export",)
    ]
    assert olist.query("select count(*) from finance.kpi_mrr_accounts_monthly") == [(0,)]
    text = "\n".join(_summary(olist))
    assert "SLA compliance (no support cases)" in text
    assert "Days sales outstanding (no invoices)" in text


def test_presence_reads_the_published_file(olist: Published) -> None:
    from crm_warehouse.serve.dashboard import absence, entity_presence
    from crm_warehouse.serve.dashboard_specs import KPIS

    con = duckdb.connect(str(olist.marts_file), read_only=True)
    try:
        presence = entity_presence(con)
    finally:
        con.close()
    assert presence is not None and presence["leads"] is None
    assert presence["invoices"] == "not in this export"
    by_key = {k.key: k for k in KPIS}
    assert absence(by_key["opportunities_won"], presence) is None
    assert absence(by_key["dso"], presence) == "no invoices"
    # retention needs one of contracts, opportunities, orders: opportunities suffice
    assert absence(by_key["retention_rate"], presence) is None
