"""The command line for the people who run it (issue #19): progress lines
outside a terminal, named warned tests, run ids in full, --json, --version."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from crm_warehouse import cli
from crm_warehouse.terminal import ProgressLines


class _Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_progress_lines_steps_tenths_and_every_20_nodes() -> None:
    clock = _Clock()
    seen: list[str] = []
    lines = ProgressLines(seen.append, node_every=20, clock=clock)
    lines.step("load", "started")
    for done in range(101):
        clock.now += 0.1
        lines.task("load raw", done, 100)
    for i in range(45):
        lines.node("warn" if i == 3 else "success")
    lines.step("load", "ok", 12.34)
    tasks = [s for s in seen if "load raw" in s]
    # one line at the start and one per further tenth: 0, 10, ..., 100
    assert [t.split("] ")[1] for t in tasks] == [f"load raw: {d}/100" for d in range(0, 101, 10)]
    nodes = [s for s in seen if "nodes done" in s]
    assert [n.split("] ")[1] for n in nodes] == [
        "dbt build: 20 nodes done (success 19, warn 1)",
        "dbt build: 40 nodes done (success 39, warn 1)",
    ]
    # a label per file (the loader's): still one line per tenth of the files
    seen.clear()
    for done in range(30):
        lines.task(f"orders/orders__b{done:02d}.csv", done, 30)
    assert [s.split("] ")[1] for s in seen] == [
        f"orders/orders__b{d:02d}.csv: {d}/30" for d in (0, 3, 6, 9, 12, 15, 18, 21, 24, 27)
    ]
    # a new task of the same total starts over at its first call
    lines.task("again", 0, 30)
    assert seen[-1].endswith("again: 0/30")
    seen.clear()
    lines.step("load", "started")
    assert seen[0].endswith("] step load: started")
    lines.step("load", "ok", 12.34)
    assert seen[-1].endswith("] step load: ok in 12.3s")


def test_progress_lines_elapsed_seconds() -> None:
    clock = _Clock()
    seen: list[str] = []
    lines = ProgressLines(seen.append, clock=clock)
    lines.step("load", "started")
    clock.now += 10.1
    lines.step("load", "ok", 12.34)
    assert seen[0] == "[    0.0s] step load: started"
    assert seen[-1] == "[   10.1s] step load: ok in 12.3s"


def test_progress_lines_wait_for_the_delay() -> None:
    """A command shorter than the delay prints no progress line; a longer
    one prints from the delay on, with the time since the command began."""
    clock = _Clock()
    seen: list[str] = []
    lines = ProgressLines(seen.append, clock=clock, delay=5.0)
    lines.step("load", "started")
    clock.now += 4.9
    lines.task("orders.csv", 1, 2)
    assert seen == []
    clock.now += 0.2
    lines.task("orders.csv", 2, 2)
    lines.step("load", "ok", 5.1)
    assert seen == ["[    5.1s] orders.csv: 2/2", "[    5.1s] step load: ok in 5.1s"]


def test_the_progress_delay_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    from crm_warehouse.terminal import PROGRESS_DELAY_SECONDS, progress_delay

    monkeypatch.delenv("CRM_PROGRESS_DELAY", raising=False)
    assert progress_delay() == PROGRESS_DELAY_SECONDS
    monkeypatch.setenv("CRM_PROGRESS_DELAY", "0")
    assert progress_delay() == 0.0
    monkeypatch.setenv("CRM_PROGRESS_DELAY", "soon")
    with pytest.raises(ValueError, match="CRM_PROGRESS_DELAY"):
        progress_delay()


def test_refresh_outside_a_terminal_prints_a_line_per_step_and_dbt_nodes(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A refresh whose output is a log (not a tty) says what it is doing as it
    goes: steps starting and ending, task progress and the dbt node tally."""
    from crm_warehouse import pipeline
    from crm_warehouse.build import NodeResult

    def fake_refresh(settings: Any, progress: Any, on_dbt_node: Any, **_: Any) -> Any:
        report = pipeline.RunReport(run_id="r1", started_at=datetime.now(UTC))
        with report.step("load"):
            progress("orders.csv", 1, 2)
            progress("orders.csv", 2, 2)
        with report.step("dbt build"):
            for _i in range(25):
                on_dbt_node(NodeResult("model.x", "model", "success", 0.1))
        report.status = "ok"
        return report

    monkeypatch.setattr(pipeline, "refresh", fake_refresh)
    monkeypatch.setenv("CRM_PROGRESS_DELAY", "0")
    assert not cli.console.is_terminal
    data = cli._refresh_with_progress(object())  # type: ignore[arg-type]
    assert data["status"] == "ok"
    err = [line.split("] ", 1)[1] for line in capsys.readouterr().err.splitlines()]
    assert err == [
        "step load: started",
        "orders.csv: 1/2",
        "orders.csv: 2/2",
        "step load: ok in 0.0s",
        "step dbt build: started",
        "dbt build: 20 nodes done (success 20)",
        "dbt build: 25 nodes done (success 25)",
        "step dbt build: ok in 0.0s",
    ]
    # the observer is unset after the command
    assert pipeline.STEP_OBSERVER.get() is None


def test_warned_tests_are_named_with_their_failures_most_first() -> None:
    from crm_warehouse.build import DbtResult, NodeResult

    result = DbtResult(command=["dbt", "build"], success=True)
    result.nodes = [
        NodeResult("model.crm_warehouse.fct_x", "model", "success", 1.0),
        NodeResult("test.crm_warehouse.not_null_fct_x_id.1a2b3c", "test", "warn", 0.1, "", 3),
        NodeResult("test.crm_warehouse.dq_unmapped_values_warn.9f9f", "test", "warn", 0.1, "", 39),
        NodeResult("test.crm_warehouse.unique_fct_x_id.77aa", "test", "pass", 0.1, "", 0),
        NodeResult("unit_test.crm_warehouse.kpi_sales.win_rate_edges", "unit_test", "warn", 0.1),
    ]
    assert result.warned_tests() == [
        {"test": "dq_unmapped_values_warn", "failures": 39},
        {"test": "not_null_fct_x_id", "failures": 3},
        {"test": "kpi_sales.win_rate_edges", "failures": None},
    ]


def test_summary_names_warned_tests_capped_with_and_n_more() -> None:
    from crm_warehouse.pipeline import RunReport, StepRecord
    from crm_warehouse.serve.runlog import summary_lines

    report = RunReport(run_id="r", started_at=datetime(2024, 5, 1, tzinfo=UTC))
    warned = [{"test": f"warn_{i:02d}", "failures": 50 - i} for i in range(12)]
    report.steps = [
        StepRecord(
            "dbt build",
            report.started_at,
            status="ok",
            details={"counts": {"test:warn": 12}, "warned_tests": warned},
        )
    ]
    lines = [line for line in summary_lines(report.to_dict()) if line.startswith("Warned")]
    assert lines == [
        "Warned tests (12): "
        + ", ".join(f"warn_{i:02d} ({50 - i} rows)" for i in range(10))
        + ", and 2 more (all in the run log: crm-warehouse runs --json, ops.refresh_steps)"
    ]
    # the step table leaves the list to that line
    report.steps[0].details["warned_tests"] = warned[:1]
    assert [line for line in summary_lines(report.to_dict()) if "Warned" in line] == [
        "Warned tests (1): warn_00 (50 rows)"
    ]


def test_published_run_log_has_the_final_status_and_finish_time(tmp_path: Any) -> None:
    """The run row the publisher writes into the BI file is the run as it
    stands once the file is swapped in, not 'running' with no end."""
    import duckdb

    from crm_warehouse.pipeline import RunReport
    from crm_warehouse.serve.publish import MARTS_FILE, publish
    from crm_warehouse.settings import Settings

    settings = Settings.under(tmp_path)
    settings.warehouse_path.parent.mkdir(parents=True)
    with duckdb.connect(str(settings.warehouse_path)) as con:
        con.execute("create schema core; create table core.dim_x as select 1 as x_id")
    report = RunReport(run_id="run-final", started_at=datetime.now(UTC))
    with report.step("load"):
        pass
    with report.step("publish"):
        publish(settings, run_report=report)
    assert report.status == "running"  # the pipeline's own record is untouched
    with duckdb.connect(str(settings.publish_dir / MARTS_FILE), read_only=True) as pub:
        run = pub.execute(
            "select status, finished_at is not null, seconds >= 0 from ops.refresh_runs"
        ).fetchall()
        steps = pub.execute(
            "select step_name, status from ops.refresh_steps order by step_order"
        ).fetchall()
    assert run == [("published", True, True)]
    assert steps == [("load", "ok"), ("publish", "ok")]


def _logged_warehouse(tmp_path: Any) -> Any:
    """A warehouse whose run log holds one run with a 32-character id."""
    from crm_warehouse.pipeline import RunReport
    from crm_warehouse.serve.runlog import record_run

    path = tmp_path / "warehouse" / "crm.duckdb"
    report = RunReport(run_id="f" * 32, started_at=datetime(2024, 5, 1, 2, 0, tzinfo=UTC))
    with report.step("load") as rec:
        rec.details = {"rows_loaded": 1234, "rows_quarantined": 5}
    report.status = "ok"
    report.finished_at = datetime(2024, 5, 1, 2, 1, tzinfo=UTC)
    assert record_run(path, report) is None
    return path


def test_runs_json_gives_full_records(tmp_path: Any) -> None:
    import json

    from typer.testing import CliRunner

    path = _logged_warehouse(tmp_path)
    res = CliRunner().invoke(cli.app, ["runs", "--json", "--warehouse", str(path)])
    assert res.exit_code == 0, res.output
    runs = json.loads(res.stdout)
    assert len(runs) == 1
    run = runs[0]
    assert run["run_id"] == "f" * 32
    assert run["status"] == "ok" and run["rows_loaded"] == 1234 and run["seconds"] == 60.0
    assert run["finished_at"].startswith("2024-05-01 02:01:00")
    assert [s["name"] for s in run["report"]["steps"]] == ["load"]


def test_runs_outside_a_terminal_prints_whole_lines_with_full_ids(tmp_path: Any) -> None:
    from typer.testing import CliRunner

    path = _logged_warehouse(tmp_path)
    res = CliRunner().invoke(
        cli.app, ["runs", "--warehouse", str(path)], env={"COLUMNS": "80"}, terminal_width=80
    )
    assert res.exit_code == 0, res.output
    header, row = res.stdout.splitlines()
    assert header.split("\t")[0] == "run"
    assert row.split("\t") == [
        "f" * 32,
        "2024-05-01 02:00:00",
        "60",
        "ok",
        "",
        "1,234",
        "5",
        "0/0/0",
    ]


def test_version_names_the_package_dbt_and_duckdb() -> None:
    from importlib.metadata import version

    from typer.testing import CliRunner

    res = CliRunner().invoke(cli.app, ["--version"])
    assert res.exit_code == 0, res.output
    text = res.stdout.strip()
    assert text.startswith(f"crm-warehouse {version('crm-kpi-warehouse')} (")
    assert f"dbt-core {version('dbt-core')}" in text
    assert f"duckdb {version('duckdb')}" in text


@pytest.mark.parametrize("kind", ["missing", "file"])
def test_load_from_a_landing_folder_that_does_not_exist_fails(tmp_path: Any, kind: str) -> None:
    from typer.testing import CliRunner

    landing = tmp_path / "landnig"
    if kind == "file":
        landing.write_text("not a folder")
    warehouse = tmp_path / "warehouse" / "crm.duckdb"
    res = CliRunner().invoke(
        cli.app, ["load", "--landing", str(landing), "--warehouse", str(warehouse)]
    )
    assert res.exit_code == 2, res.output
    what = "does not exist" if kind == "missing" else "is not a folder"
    assert f"landing folder {landing} {what}: nothing loaded" in res.stderr
    assert "crm-warehouse generate" in res.stderr
    assert not warehouse.exists()
