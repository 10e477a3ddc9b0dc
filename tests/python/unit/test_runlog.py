"""The run log: ops.refresh_runs / ops.refresh_steps and the printed summary."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb

from crm_warehouse.pipeline import RunReport, StepRecord
from crm_warehouse.serve.runlog import read_runs, record_run, run_totals, summary_lines


def make_report(run_id: str = "abc123", fail_build: bool = False) -> RunReport:
    start = datetime(2024, 5, 1, 2, 0, tzinfo=UTC)
    counts = {"model:success": 40, "seed:success": 5, "test:pass": 300, "unit_test:pass": 25}
    counts["test:warn"] = 2
    if fail_build:
        counts.update({"test:fail": 1, "model:error": 1})
    report = RunReport(run_id=run_id, started_at=start)
    report.steps = [
        StepRecord(
            "load",
            start,
            seconds=12.5,
            status="ok",
            details={"files": 3, "rows_loaded": 1200, "rows_quarantined": 17},
        ),
        StepRecord(
            "dbt build",
            start + timedelta(seconds=13),
            seconds=80.0,
            status="failed" if fail_build else "ok",
            details={"counts": counts},
        ),
    ]
    report.status = "failed" if fail_build else "ok"
    report.message = "dbt build failed: boom" if fail_build else None
    report.finished_at = start + timedelta(seconds=95)
    return report


def test_totals_count_tests_by_outcome() -> None:
    totals = run_totals(make_report(fail_build=True))
    assert totals == {
        "rows_loaded": 1200,
        "rows_quarantined": 17,
        "tests_passed": 325,
        "tests_warned": 2,
        "tests_failed": 1,
        "models_built": 45,
    }


def test_totals_are_unknown_for_steps_that_did_not_run() -> None:
    report = RunReport(run_id="x", started_at=datetime.now(UTC))
    assert set(run_totals(report).values()) == {None}


def test_record_run_writes_runs_and_steps_and_replaces_a_rerun(tmp_path: Path) -> None:
    warehouse = tmp_path / "wh" / "crm.duckdb"
    assert record_run(warehouse, make_report("run1")) is None
    failed = make_report("run2", fail_build=True)
    assert record_run(warehouse, failed) is None
    assert record_run(warehouse, failed) is None  # same run id again: replaced, not doubled

    con = duckdb.connect(str(warehouse), read_only=True)
    runs = con.execute(
        "select run_id, status, seconds, failed_step, message, rows_loaded, rows_quarantined, "
        "tests_passed, tests_warned, tests_failed, started_at, finished_at "
        "from ops.refresh_runs order by run_id"
    ).fetchall()
    steps = con.execute(
        "select run_id, step_order, step_name, status, details_json from ops.refresh_steps "
        "order by run_id, step_order"
    ).fetchall()
    con.close()
    assert [r[:10] for r in runs] == [
        ("run1", "ok", 95.0, None, None, 1200, 17, 325, 2, 0),
        ("run2", "failed", 95.0, "dbt build", "dbt build failed: boom", 1200, 17, 325, 2, 1),
    ]
    # stored as naive UTC timestamps
    assert runs[0][10] == datetime(2024, 5, 1, 2, 0)
    assert runs[0][11] == datetime(2024, 5, 1, 2, 1, 35)
    assert [(s[0], s[1], s[2], s[3]) for s in steps] == [
        ("run1", 1, "load", "ok"),
        ("run1", 2, "dbt build", "ok"),
        ("run2", 1, "load", "ok"),
        ("run2", 2, "dbt build", "failed"),
    ]
    assert json.loads(steps[0][4])["rows_loaded"] == 1200
    latest = read_runs(warehouse, limit=1)
    assert len(latest) == 1 and latest[0]["status"] in ("ok", "failed")


def test_record_run_reports_instead_of_raising(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x")
    problem = record_run(blocker / "crm.duckdb", make_report())
    assert problem is not None and "could not write the run log" in problem


def test_summary_lines() -> None:
    report = make_report()
    report.summary = {
        "totals": run_totals(report),
        "kpis": [{"label": "Won revenue", "display": "1.20M USD"}],
        "marts_file": "/p/crm_marts.duckdb",
        "dashboard": "/p/dashboard.html",
    }
    lines = summary_lines(report.to_dict())
    assert lines[0] == (
        "Rows loaded 1,200, quarantined 17; dbt tests passed 325, warned 2, failed 0; "
        "models built 45"
    )
    assert lines[1] == "Headline KPIs: Won revenue 1.20M USD"
    assert "BI file: /p/crm_marts.duckdb" in lines
    assert "Dashboard: /p/dashboard.html" in lines


def test_summary_lines_name_unmapped_values() -> None:
    """A build that warns about unmapped values says which, not only "warned 2"."""
    report = make_report()
    report.summary = {
        "totals": run_totals(report),
        "unmapped_values": ["opportunities.stage_name = 'pending legal review' (2)"],
    }
    lines = summary_lines(report.to_dict())
    assert lines[1].startswith("Unmapped values (no seed maps them")
    assert lines[1].endswith(": opportunities.stage_name = 'pending legal review' (2)")
    report.summary = {"totals": run_totals(report)}
    assert not any("Unmapped" in line for line in summary_lines(report.to_dict()))


def test_summary_lines_name_the_years_without_holidays() -> None:
    """Business hours counted over a year the holiday seed does not list are named."""
    report = make_report()
    report.summary = {
        "totals": run_totals(report),
        "years_without_holidays": ["default 2016 (23,807 cases opened)", "default 2017 (1,111)"],
    }
    lines = summary_lines(report.to_dict())
    assert lines[1].startswith("Business hours count every weekday as working time")
    assert lines[1].endswith(
        "(data_quality.dq_business_holiday_years): default 2016 (23,807 cases opened), "
        "default 2017 (1,111)"
    )
    report.summary = {"totals": run_totals(report)}
    assert not any("Business hours" in line for line in summary_lines(report.to_dict()))


def test_summary_lines_name_the_period_and_what_the_export_lacks() -> None:
    report = make_report()
    kpis = [
        {
            "label": "Deals won",
            "display": "12",
            "value": 12.0,
            "period": "May 2024",
            "state": "value",
        },
        {
            "label": "Win rate",
            "display": "25.0%",
            "value": 0.25,
            "period": "12 months to May 2024",
            "state": "value",
        },
        {
            "label": "Won revenue",
            "display": "no value",
            "value": None,
            "period": "May 2024",
            "state": "empty",
            "note": "no amount on its 12 won deal(s)",
        },
        {
            "label": "Days sales outstanding",
            "display": "not in this export",
            "value": None,
            "period": None,
            "state": "absent",
            "note": "no invoices",
        },
    ]
    report.summary = {"kpis": kpis}
    assert summary_lines(report.to_dict()) == [
        "Headline KPIs: Deals won (May 2024) 12; Win rate (12 months to May 2024) 25.0%",
        "Not in this export: Days sales outstanding (no invoices)",
        "No value: Won revenue (May 2024): no amount on its 12 won deal(s)",
    ]


def test_step_durations_are_measured() -> None:
    report = RunReport(run_id="t", started_at=datetime.now(UTC))
    with report.step("sleep"):
        time.sleep(0.05)
    assert report.steps[0].seconds >= 0.05
    assert report.steps[0].status == "ok"


def test_landing_with_only_seed_rows_is_empty(tmp_path) -> None:
    """An import's extra seed rows (landing/.seed_rows/) are not table data: a
    landing folder holding only them still counts as empty."""
    from crm_warehouse.pipeline import landing_is_empty
    from crm_warehouse.settings import Settings

    settings = Settings.under(tmp_path)
    (settings.landing_dir / ".seed_rows").mkdir(parents=True)
    (settings.landing_dir / ".seed_rows" / "stages.csv").write_text("raw_stage_name\nx\n")
    assert landing_is_empty(settings)
    (settings.landing_dir / "leads").mkdir()
    (settings.landing_dir / "leads" / "leads.csv").write_text("lead_id\n1\n")
    assert not landing_is_empty(settings)
