"""logs/dbt.log written from dbt's events at its level (crm_warehouse.dbt_file_log):
events below the level never reach the file, secrets are scrubbed as dbt
scrubs them, and each dbt invocation starts with dbt's separator."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from crm_warehouse.dbt_file_log import FileLog, log_path


def _event(level: str, msg: str, name: str = "Note") -> SimpleNamespace:
    ts = SimpleNamespace(seconds=1_764_960_000, nanos=500_000_000)
    info = SimpleNamespace(
        level=level, msg=msg, name=name, ts=ts, thread="Thread-1 (worker)", invocation_id="inv-1"
    )
    return SimpleNamespace(info=info)


def test_only_events_at_or_above_the_level_are_written(tmp_path: Path) -> None:
    path = tmp_path / "logs" / "dbt.log"
    with FileLog(path, "info") as log:
        log(_event("info", "Running with dbt=1.11", name="MainReportVersion"))
        log(_event("debug", "select 1 -- a statement"))
        log(_event("info", "1 of 2 START sql view model staging.a"))
        log(_event("warn", "1 of 2 WARN 3 not_null_a_id"))
    text = path.read_text()
    assert "select 1" not in text
    lines = [line for line in text.splitlines() if line.strip()]
    assert lines[0].startswith("=" * 30) and "| inv-1 " in lines[0]
    assert lines[1].endswith("[info ] [Thread-1 (]: Running with dbt=1.11")
    assert lines[2].endswith("[info ] [Thread-1 (]: 1 of 2 START sql view model staging.a")
    assert lines[3].endswith("[warn ] [Thread-1 (]: 1 of 2 WARN 3 not_null_a_id")
    assert len(lines) == 4


def test_a_higher_level_keeps_fewer_lines(tmp_path: Path) -> None:
    path = tmp_path / "dbt.log"
    with FileLog(path, "warn") as log:
        log(_event("info", "1 of 2 START"))
        log(_event("error", "Runtime Error in model a"))
    assert [line.split("]: ")[1] for line in path.read_text().splitlines()] == [
        "Runtime Error in model a"
    ]


def test_secrets_in_the_environment_are_scrubbed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DBT_ENV_SECRET_TOKEN", "hunter2")
    path = tmp_path / "dbt.log"
    with FileLog(path, "info") as log:
        log(_event("error", "could not connect with password hunter2"))
    assert path.read_text().rstrip().endswith("could not connect with password *****")


def test_the_file_is_where_dbt_would_write_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DBT_LOG_PATH", raising=False)
    assert log_path(["build"], tmp_path) == tmp_path / "logs" / "dbt.log"
    monkeypatch.setenv("DBT_LOG_PATH", str(tmp_path / "elsewhere"))
    assert log_path(["build"], tmp_path) == tmp_path / "elsewhere" / "dbt.log"
    given = ["build", "--log-path", str(tmp_path / "given")]
    assert log_path(given, tmp_path) == tmp_path / "given" / "dbt.log"
