"""The issue table `python -m crm_dev.bench` prints: every row, ratios from the
run's figures, and "not measured in this run" for a figure the run lacks."""

from __future__ import annotations

from typing import Any

from crm_dev.bench.table import NOT_MEASURED, ROWS, format_issue_table, issue_rows


def _scale10() -> dict[str, Any]:
    return {
        "scale": 10.0,
        "read_s": 20.0,
        "load_s": 40.0,
        "floor_s": 100.0,
        "full_refresh_s": 210.0,
        "incremental_s": 21.0,
        "kpi_sql_s": 3.0,
        "pandas_s": 12.0,
        "polars_s": 10.0,
        "peer_s": 10.0,
        "fastest_peer": "polars",
        "peers_not_installed": [],
        "cpu": {
            "read_s": 25.0,
            "load_s": 30.0,
            "floor_s": 160.0,
            "full_refresh_s": 320.0,
            "incremental_s": 40.0,
            "kpi_sql_s": 5.0,
            "peer_s": 11.0,
        },
    }


def test_every_row_of_the_issue_is_printed_even_with_nothing_measured() -> None:
    rows = issue_rows({"results": []})
    assert len(rows) == len(ROWS) == 10
    assert all(r.wall == NOT_MEASURED and r.met is None for r in rows)
    table = format_issue_table({"results": []})
    assert table.count("\n") == 11  # header, rule, ten rows


def test_ratios_come_from_the_figures_of_the_run() -> None:
    rows = {r.what: r for r in issue_rows({"results": [_scale10()]})}
    load = rows["load with Great Expectations validation against a plain DuckDB read, scale 10"]
    assert load.wall.startswith("2.00 ×") and load.cpu.startswith("1.20 ×") and not load.met
    floor = rows["full refresh against its floor, scale 10"]
    assert floor.wall.startswith("2.10 ×") and floor.met is False
    read = rows["full refresh against a plain DuckDB read of the landed files (read_s), scale 10"]
    assert read.wall.startswith("10.50 ×")
    batch = rows["refresh after a 1 % batch, against a full refresh, scale 10"]
    assert batch.wall.startswith("0.10 ×") and batch.met is True
    peer = rows["the marts' SQL for what a peer computes, against the fastest peer, scale 10"]
    assert peer.wall.startswith("0.30 ×") and "polars" in peer.wall and peer.met is True
    assert rows["README's test command on a quiet 2-core machine"].wall == NOT_MEASURED


def test_a_missing_peer_or_a_failed_test_command_is_not_met() -> None:
    result = {**_scale10(), "peers_not_installed": ["polars"], "polars_s": None}
    data = {
        "results": [result],
        "test_command": {"seconds": 200.0, "cpu_s": 300.0, "returncode": 2, "this_run": True},
    }
    rows = {r.what: r for r in issue_rows(data)}
    peer = rows["the marts' SQL for what a peer computes, against the fastest peer, scale 10"]
    assert "not installed: polars" in peer.wall and peer.met is False
    tests = rows["README's test command on a quiet 2-core machine"]
    assert "FAILED" in tests.wall and tests.met is False


def test_the_skip_helpers_refresh_figures_are_preferred_when_present() -> None:
    result = {
        **_scale10(),
        "refresh_nothing_new_s": 3.2,
        "refresh_nothing_new_cpu_s": 2.9,
        "refresh_batch_ratio": 0.2,
        "refresh_batch_ratio_cpu": 0.25,
        "refresh_batch_s": 30.0,
        "refresh_full_s": 150.0,
    }
    rows = {r.what: r for r in issue_rows({"results": [result]})}
    idle = rows["refresh with nothing new landed and no code change"]
    assert idle.wall.startswith("3.2 s") and idle.met is True
    batch = rows["refresh after a 1 % batch, against a full refresh, scale 10"]
    assert "refresh command" in batch.wall and batch.met is False


def test_the_import_row_takes_the_later_import_and_names_the_first() -> None:
    what = "import of a 10,000-row export, end to end, 2 cores"
    first = {"seconds": 47.2, "cpu_s": 51.3}
    data = {"results": [], "import_10k": {"seconds": 31.0, "cpu_s": 35.5, "first": first}}
    row = {r.what: r for r in issue_rows(data)}[what]
    assert row.wall.startswith("31.0 s") and "47.2 s" in row.wall and "51.3 s" in row.cpu
    assert row.met is False
    data["import_10k"] = {"seconds": 29.9, "cpu_s": 33.0, "first": first}
    assert {r.what: r for r in issue_rows(data)}[what].met is True
    data["import_10k"] = {"seconds": 29.9, "cpu_s": 33.0}  # measured without a first import
    assert {r.what: r for r in issue_rows(data)}[what].wall == "29.9 s"
