"""DuckDB's memory limit: one default for dbt's connection (profiles.yml) and
the project's own (loader, publish, import, benchmark), overridable by
CRM_DUCKDB_MEMORY_LIMIT."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import duckdb
import pytest
import yaml

from crm_warehouse.build import dbt_environment, target_path
from crm_warehouse.settings import (
    DEFAULT_DUCKDB_MEMORY_LIMIT,
    Settings,
    configure_duckdb,
    project_root,
)


def _reported(setting: str, value: str) -> str:
    """How DuckDB reports a setting once set (memory_limit '1500MB' -> '1.3 GiB',
    checkpoint_threshold '1MB' -> '976.5 KiB')."""
    con = duckdb.connect()
    con.execute(f"set {setting} = '{value}'")
    return con.execute(f"select current_setting('{setting}')").fetchone()[0]


def _limit_of(value: str) -> str:
    return _reported("memory_limit", value)


def test_profile_default_is_the_projects_default() -> None:
    profiles = yaml.safe_load((project_root() / "profiles" / "profiles.yml").read_text())
    (plugin,) = profiles["crm_warehouse"]["outputs"]["duckdb"]["plugins"]
    assert plugin["module"] == "crm_warehouse.dbt_duckdb_settings"
    setting = plugin["config"]["memory_limit"]
    match = re.fullmatch(
        r"\{\{ env_var\('CRM_DUCKDB_MEMORY_LIMIT', ''\) \| trim or '([^']+)' \}\}", setting
    )
    assert match, setting
    assert match.group(1) == DEFAULT_DUCKDB_MEMORY_LIMIT


@pytest.mark.parametrize(
    ("env", "expected"),
    [(None, DEFAULT_DUCKDB_MEMORY_LIMIT), ("", DEFAULT_DUCKDB_MEMORY_LIMIT), ("700MB", "700MB")],
)
def test_configure_duckdb_sets_the_limit(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, env: str | None, expected: str
) -> None:
    if env is None:
        monkeypatch.delenv("CRM_DUCKDB_MEMORY_LIMIT", raising=False)
    else:
        monkeypatch.setenv("CRM_DUCKDB_MEMORY_LIMIT", env)
    con = duckdb.connect()
    configure_duckdb(con, tmp_path / "spill")
    limit, temp, zone = con.execute(
        "select current_setting('memory_limit'), current_setting('temp_directory'),"
        " current_setting('TimeZone')"
    ).fetchone()
    assert limit == _limit_of(expected)
    assert Path(temp) == tmp_path / "spill"
    assert zone == "UTC"


@pytest.fixture(scope="module")
def parsed_project(tmp_path_factory: pytest.TempPathFactory) -> tuple[Settings, Path, Any]:
    """(settings, dbt target folder, Manifest): the project parsed once for the module."""
    from crm_warehouse.build import parse

    settings = Settings.under(tmp_path_factory.mktemp("limit"))
    parsed = parse(settings)
    assert parsed.success, parsed.error
    return settings, target_path(settings), parsed.output


@pytest.mark.xdist_group("dbt_profile")  # both cases on one worker: one parse
@pytest.mark.parametrize(
    ("env", "expected"), [("700MB", "700MB"), (" ", DEFAULT_DUCKDB_MEMORY_LIMIT)]
)
def test_dbt_connection_uses_the_limit(
    monkeypatch: pytest.MonkeyPatch,
    parsed_project: tuple[Settings, Path, Any],
    env: str,
    expected: str,
) -> None:
    """The profile is read at each dbt invocation (the parsed manifest is reused)."""
    from dbt.cli.main import dbtRunner

    settings, target, manifest = parsed_project
    monkeypatch.setenv("CRM_DUCKDB_MEMORY_LIMIT", env)
    args = [
        "--quiet",
        "show",
        "--inline",
        "select current_setting('memory_limit') as memory_limit,"
        " current_setting('max_vacuum_tasks') as max_vacuum_tasks,"
        " current_setting('checkpoint_threshold') as checkpoint_threshold,"
        " current_setting('TimeZone') as time_zone",
        "--project-dir",
        str(settings.root),
        "--target-path",
        str(target),
    ]
    with dbt_environment(settings):
        outcome = dbtRunner(manifest=manifest).invoke(args)
    assert outcome.success, outcome.exception
    table = outcome.result.results[0].agate_table
    assert table.rows[0]["memory_limit"] == _limit_of(expected)
    # no vacuuming at checkpoints: a merge's commit made the other thread wait, and
    # it reclaimed little (docs/performance.md, "Checkpoints without vacuuming")
    assert table.rows[0]["max_vacuum_tasks"] == 0
    # set once on the database (crm_warehouse.dbt_duckdb_settings), seen by dbt's cursors
    assert table.rows[0]["checkpoint_threshold"] == _reported("checkpoint_threshold", "1MB")
    assert table.rows[0]["time_zone"] == "UTC"


def test_dbt_duckdb_settings_are_set_once_and_every_cursor_has_them(tmp_path: Path) -> None:
    """The profile's plugin sets its settings globally when dbt-duckdb opens the
    database; cursors opened afterwards (dbt opens one per node) have them
    without a `SET` of their own, the time zone included."""
    from crm_warehouse.dbt_duckdb_settings import Plugin

    plugin = Plugin(
        name="settings",
        plugin_config={"TimeZone": "Europe/Paris", "memory_limit": "700MB", "max_vacuum_tasks": 0},
    )
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    plugin.configure_connection(con)
    cursor = con.cursor()
    zone, limit, vacuum = cursor.execute(
        "select current_setting('TimeZone'), current_setting('memory_limit'),"
        " current_setting('max_vacuum_tasks')"
    ).fetchone()
    assert (zone, limit, vacuum) == ("Europe/Paris", _limit_of("700MB"), 0)


def test_dbt_duckdb_settings_refuse_a_name_that_is_not_a_setting() -> None:
    from crm_warehouse.dbt_duckdb_settings import set_global_statements

    assert set_global_statements({"TimeZone": "it's"}) == ["set global TimeZone = 'it''s'"]
    with pytest.raises(ValueError, match="not a DuckDB setting's name"):
        set_global_statements({"memory_limit = '1GB'; drop table x; --": "1"})
