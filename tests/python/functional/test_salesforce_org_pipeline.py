"""Open pipeline (S7) and days open (S9) of a Salesforce org export, tied out
against pandas.

tests/fixtures/salesforce_org/ is a small export in the shape Salesforce's Data
Loader writes (API field names: Opportunity, OpportunityHistory, Account,
User). It holds what the demo data cannot show: deals whose OpportunityHistory
starts after their CreatedDate, a deal without any history, a custom stage the
stages seed does not know ("Pending Legal Review", made up on purpose so no seed
update maps it) on open deals, a custom closed stage ("Closed - No Decision") on
a closed one, a deal lost and re-opened, a deal created on the as-of date.

The fixture is imported through mappings/salesforce_org_api.yml and built once
per module. The expected figures are computed here with pandas straight from
the fixture's CSV files, following ../shared/KPI_CATALOGUE.md (S7: open at a
month end = created on or before it and not closed by it, from creation) and
the choices written in the dbt docs (sales_open_pipeline): before its first
history row a deal is in `no_stage_yet` with that row's amount; a stage the seed
does not map is open, as `unmapped`, unless the export closed the deal; the
as-of month is measured at the as-of date. Nothing here reads the warehouse's SQL; only seeds/stages.csv (reference
data: which raw stage names are closed, and their canonical names) is shared.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

import duckdb
import pandas as pd
import pytest
from published_imports import refresh_import

from crm_warehouse.imports.importer import import_export, import_settings
from crm_warehouse.settings import project_root

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("salesforce_org")]

FIXTURE = project_root() / "tests" / "fixtures" / "salesforce_org"
MAPPING = project_root() / "mappings" / "salesforce_org_api.yml"
CUSTOM_STAGE = "Pending Legal Review"
#: A custom closed stage the seed does not know either: the deal carrying it is
#: closed (IsClosed, so the mapping gives it a closed_at), outcome unknown.
CUSTOM_CLOSED_STAGE = "Closed - No Decision"


# --------------------------------------------------------------------------- pandas


def _utc(series: pd.Series) -> pd.Series:
    """Salesforce API timestamps (2024-01-08T14:20:00.000Z) as naive UTC."""
    return pd.to_datetime(series, utc=True).dt.tz_convert(None)


@dataclass(frozen=True)
class Expected:
    balance_date: date
    count: int
    amount: Decimal
    days_open_mean: Decimal | None
    by_stage: dict[str, tuple[int, Decimal]]


def expected_pipeline() -> dict[date, Expected]:
    """Per month (first day): the open deals at the month's balance date."""
    opps = pd.read_csv(FIXTURE / "Opportunity.csv", dtype=str, keep_default_na=False)
    hist = pd.read_csv(FIXTURE / "OpportunityHistory.csv", dtype=str, keep_default_na=False)
    stages = pd.read_csv(project_root() / "seeds" / "stages.csv", dtype=str)
    canonical = dict(zip(stages["raw_stage_name"], stages["stage_name"], strict=True))
    closed = set(stages.loc[stages["is_closed"] == "true", "raw_stage_name"])

    opps["created"] = _utc(opps["CreatedDate"])
    opps["is_closed"] = opps["IsClosed"] == "true"
    # A closed deal's CloseDate is its close (00:00 UTC); an open deal's is a forecast.
    opps["closed"] = pd.to_datetime(opps["CloseDate"]).where(opps["is_closed"])
    hist["entered"] = _utc(hist["CreatedDate"])
    hist = hist.sort_values(["OpportunityId", "entered", "Id"])

    # The as-of date: the latest creation or close of a deal.
    as_of = max(opps["created"].max().date(), opps["closed"].max().date())
    first = opps["created"].min().date().replace(day=1)

    def stage_of(raw: str) -> str:
        key = raw.strip().lower()
        return canonical.get(key, "unmapped")

    def amount_of(text: str, fallback: str) -> Decimal:
        # the amount recorded with the history row, else the deal's current amount
        return Decimal(text or fallback)

    months: dict[date, Expected] = {}
    month = first
    while month <= as_of.replace(day=1):
        month_end = month.replace(day=calendar.monthrange(month.year, month.month)[1])
        balance = min(month_end, as_of)
        cutoff = datetime.combine(balance + timedelta(days=1), datetime.min.time())
        rows: list[tuple[str, Decimal, int]] = []  # (stage, amount, days open)
        for opp in opps.itertuples():
            if opp.created >= cutoff:
                continue  # not created yet
            rows_before = hist[(hist["OpportunityId"] == opp.Id) & (hist["entered"] < cutoff)]
            has_history = (hist["OpportunityId"] == opp.Id).any()
            closed_by_cutoff = opp.is_closed and opp.closed < cutoff
            if not has_history:
                # No history at all: its current stage from creation, until its close.
                if closed_by_cutoff:
                    continue
                stage, amount = stage_of(opp.StageName), Decimal(opp.Amount)
            elif rows_before.empty:
                # Created, history not started yet: open, no stage yet.
                first_row = hist[hist["OpportunityId"] == opp.Id].iloc[0]
                if closed_by_cutoff and opp.closed < first_row["entered"]:
                    continue
                stage, amount = "no_stage_yet", amount_of(first_row["Amount"], opp.Amount)
            else:
                last = rows_before.iloc[-1]
                if last["StageName"].strip().lower() in closed:
                    continue
                is_current_row = last["Id"] == hist[hist["OpportunityId"] == opp.Id].iloc[-1]["Id"]
                if is_current_row and closed_by_cutoff:
                    continue  # history stops short of the close
                stage, amount = stage_of(last["StageName"]), amount_of(last["Amount"], opp.Amount)
            rows.append((stage, amount, (balance - opp.created.date()).days))
        by_stage: dict[str, tuple[int, Decimal]] = {}
        for stage, amount, _ in rows:
            n, total = by_stage.get(stage, (0, Decimal(0)))
            by_stage[stage] = (n + 1, total + amount)
        days = [d for _, _, d in rows]
        mean = (
            (Decimal(sum(days)) / len(days)).quantize(Decimal("0.01"), ROUND_HALF_UP)
            if days
            else None
        )
        months[month] = Expected(
            balance, len(rows), sum((a for _, a, _ in rows), Decimal(0)), mean, by_stage
        )
        month = (month_end + timedelta(days=1)).replace(day=1)
    return months


# --------------------------------------------------------------------------- import


@pytest.fixture(scope="module")
def marts(tmp_path_factory: pytest.TempPathFactory) -> Iterator[duckdb.DuckDBPyConnection]:
    workdir = tmp_path_factory.mktemp("salesforce_org")
    import_export(MAPPING, FIXTURE, workdir)
    settings = import_settings(workdir)
    _REPORT.append(refresh_import(workdir))
    con = duckdb.connect(str(settings.publish_dir / "crm_marts.duckdb"), read_only=True)
    yield con
    con.close()


#: The refresh report of the module's import (set by the `marts` fixture).
_REPORT: list = []


def test_fixture_has_the_cases_it_is_for() -> None:
    """The export holds late-starting histories, a deal without history and the custom stage."""
    opps = pd.read_csv(FIXTURE / "Opportunity.csv", dtype=str)
    hist = pd.read_csv(FIXTURE / "OpportunityHistory.csv", dtype=str)
    first_row = hist.groupby("OpportunityId")["CreatedDate"].min()
    created = opps.set_index("Id")["CreatedDate"]
    late = (_utc(first_row) > _utc(created.reindex(first_row.index))).sum()
    assert late >= 5
    assert set(opps["Id"]) - set(hist["OpportunityId"])  # a deal without history
    assert CUSTOM_STAGE in set(opps["StageName"]) and CUSTOM_STAGE in set(hist["StageName"])
    stages = pd.read_csv(project_root() / "seeds" / "stages.csv", dtype=str)
    assert CUSTOM_STAGE.lower() not in set(stages["raw_stage_name"])


def test_open_pipeline_at_each_month_end(marts: duckdb.DuckDBPyConnection) -> None:
    expected = expected_pipeline()
    got = {
        row[0]: row[1:]
        for row in marts.execute(
            """
            select month_start_date, balance_date, open_pipeline_opportunities, open_pipeline_amount,
                days_open_mean
            from sales.kpi_sales_monthly
            where dimension_name = 'all'
            order by month_start_date
            """
        ).fetchall()
    }
    assert sorted(got) == sorted(expected)
    for month, exp in expected.items():
        assert got[month] == (exp.balance_date, exp.count, exp.amount, exp.days_open_mean), month
    # The as-of month is measured at the as-of date, not at its calendar end.
    last = max(expected)
    assert expected[last].balance_date < last.replace(day=28)


def test_open_pipeline_by_stage(marts: duckdb.DuckDBPyConnection) -> None:
    expected = expected_pipeline()
    got: dict[date, dict[str, tuple[int, Decimal]]] = {}
    for month, stage, n, amount in marts.execute(
        """
        select month_start_date, stage_name, open_pipeline_opportunities, open_pipeline_amount
        from sales.kpi_sales_pipeline_monthly
        where dimension_name = 'all' and open_pipeline_opportunities > 0
        """
    ).fetchall():
        got.setdefault(month, {})[stage] = (n, amount)
    assert got == {m: e.by_stage for m, e in expected.items() if e.by_stage}
    # The deals before their first history row, and the custom stage, are visible.
    assert any("no_stage_yet" in e.by_stage for e in expected.values())
    assert any("unmapped" in e.by_stage for e in expected.values())
    unweighted = marts.execute(
        """
        select count(*) from sales.kpi_sales_pipeline_monthly
        where stage_name in ('no_stage_yet', 'unmapped') and open_pipeline_opportunities > 0
            and open_pipeline_weighted_amount is not null
        """
    ).fetchone()
    assert unweighted == (0,)


def test_forecast_categories_of_the_open_deals(marts: duckdb.DuckDBPyConnection) -> None:
    """ForecastCategoryName of the deals open at the as-of date (IsClosed false,
    the custom stage's included), counted and summed by pandas from the CSV."""
    opps = pd.read_csv(FIXTURE / "Opportunity.csv", dtype=str)
    open_ = opps[opps["IsClosed"] == "false"]
    category = open_["ForecastCategoryName"].str.lower().str.replace(" ", "_")
    expected = {
        c: (
            int((category == c).sum()),
            sum((Decimal(a) for a in open_.loc[category == c, "Amount"]), Decimal(0)),
        )
        for c in ("commit", "best_case", "pipeline", "omitted")
    }
    assert all(n > 0 for n, _ in expected.values())
    row = marts.execute(
        """
        select any_value(forecast_category_status), sum(commit_count), sum(commit_amount),
            sum(best_case_count), sum(best_case_amount), sum(pipeline_count), sum(pipeline_amount),
            sum(omitted_count), sum(omitted_amount), sum(without_category_count)
        from sales.kpi_sales_forecast_categories_monthly where dimension_name = 'all'
        """
    ).fetchone()
    assert row[0] == "in this export"
    assert {c: (row[1 + 2 * i], row[2 + 2 * i]) for i, c in enumerate(expected)} == expected
    assert row[9] == 0


def test_unmapped_stage_is_forecast_and_reported(marts: duckdb.DuckDBPyConnection) -> None:
    opps = pd.read_csv(FIXTURE / "Opportunity.csv", dtype=str)
    hist = pd.read_csv(FIXTURE / "OpportunityHistory.csv", dtype=str)
    custom = opps[(opps["StageName"] == CUSTOM_STAGE) & (opps["IsClosed"] == "false")]
    forecast = marts.execute(
        """
        select sum(open_opportunities), sum(open_amount), count(forecast_amount)
        from sales.kpi_sales_forecast
        where dimension_name = 'all' and stage_name = 'unmapped'
        """
    ).fetchone()
    amount = sum(Decimal(a) for a in custom["Amount"])
    assert forecast == (len(custom), amount, 0)
    unmapped = dict(
        marts.execute(
            """
            select table_name, records from data_quality.dq_unmapped_values
            where raw_value = ?
            """,
            [CUSTOM_STAGE.lower()],
        ).fetchall()
    )
    assert unmapped == {
        "opportunities": int((opps["StageName"] == CUSTOM_STAGE).sum()),
        "opportunity_stage_history": int((hist["StageName"] == CUSTOM_STAGE).sum()),
    }
    # The deal the export closed in a custom stage: neither open now, nor won or lost.
    closed_custom = opps.loc[opps["StageName"] == CUSTOM_CLOSED_STAGE, "Id"].tolist()
    assert len(closed_custom) == 1
    state = marts.execute(
        """
        select is_open, is_closed, is_won, is_lost, cast(closed_at as date)
        from core.fct_opportunities where opportunity_id = ?
        """,
        closed_custom,
    ).fetchone()
    close = opps.loc[opps["StageName"] == CUSTOM_CLOSED_STAGE, "CloseDate"].item()
    assert state == (False, False, False, False, date.fromisoformat(close))
    # The build's warning names the value, not only "warned n".
    from crm_warehouse.serve.runlog import summary_lines

    lines = summary_lines(_REPORT[0].to_dict())
    named = f"opportunities.stage_name = '{CUSTOM_STAGE.lower()}'"
    assert any(line.startswith("Unmapped values") and named in line for line in lines)
