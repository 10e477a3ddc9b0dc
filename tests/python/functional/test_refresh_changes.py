"""A refresh builds what changed since the last successful one and nothing
else (crm_warehouse.changes): nothing new gives "up to date" without dbt or
publish; a new landed file builds its table's dependants; a changed model
builds that model and what is downstream of it. Each test works on a copy
of the demo warehouse (and of the project, to change a model), never on the
shared one."""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import replace
from pathlib import Path
from typing import Any

import duckdb
import pytest
from typer.testing import CliRunner

from crm_warehouse.build import target_path
from crm_warehouse.settings import Settings

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("warehouse")]


def _copy_demo(demo: Settings, home: Path, root: Path | None = None) -> Settings:
    """The demo's landing, warehouse folder (dbt target and kept state
    included) and publish folder, copied under `home` with their times."""
    settings = replace(
        Settings.under(home),
        root=root or demo.root,
        date_window_start=demo.date_window_start,
        date_window_years_ahead=demo.date_window_years_ahead,
    )
    shutil.copytree(demo.landing_dir, settings.landing_dir)
    shutil.copytree(demo.warehouse_path.parent, settings.warehouse_path.parent)
    shutil.copytree(demo.publish_dir, settings.publish_dir)
    return settings


def _copy_project(demo: Settings, dest: Path) -> Path:
    for name in ("models", "macros", "seeds", "tests", "analyses", "profiles"):
        if (demo.root / name).is_dir():
            shutil.copytree(demo.root / name, dest / name)
    shutil.copy2(demo.root / "dbt_project.yml", dest / "dbt_project.yml")
    return dest


def _runs(settings: Settings) -> list[str]:
    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    try:
        return [r[0] for r in con.execute("select run_id from ops.refresh_runs").fetchall()]
    finally:
        con.close()


def _published(settings: Settings) -> dict[str, tuple[int, str]]:
    """Every published file: modification time (ns) and content hash."""
    return {
        str(p.relative_to(settings.publish_dir)): (
            p.stat().st_mtime_ns,
            hashlib.sha256(p.read_bytes()).hexdigest(),
        )
        for p in sorted(settings.publish_dir.rglob("*"))
        if p.is_file()
    }


def _built_nodes(settings: Settings) -> set[str]:
    data = json.loads((target_path(settings) / "run_results.json").read_text())
    return {r["unique_id"] for r in data["results"]}


def test_a_refresh_with_nothing_new_is_up_to_date_without_dbt_or_publish(
    demo_warehouse: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import crm_warehouse.build
    from crm_warehouse.cli import app
    from crm_warehouse.pipeline import refresh

    settings = _copy_demo(demo_warehouse.settings, tmp_path / "home")
    runs = _runs(settings)
    published = _published(settings)
    run_results = target_path(settings) / "run_results.json"
    results_stamp = run_results.stat().st_mtime_ns

    def no_dbt(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError(f"dbt ran: {args[1:]}")

    monkeypatch.setattr(crm_warehouse.build, "run_dbt", no_dbt)
    monkeypatch.setattr(crm_warehouse.build, "dbt_build", no_dbt)
    report = refresh(settings)
    assert report.status == "up to date"
    assert report.summary["last_run_id"] == demo_warehouse.report.run_id
    assert [s.name for s in report.steps] == ["load", "changes"]

    # the command prints one line with the last successful run's id
    monkeypatch.setenv("CRM_PUBLISH_DIR", str(settings.publish_dir))
    where = ["--landing", str(settings.landing_dir), "--warehouse", str(settings.warehouse_path)]
    result = CliRunner().invoke(app, ["refresh", *where])
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("up to date"), result.output
    assert demo_warehouse.report.run_id in lines[0]

    assert _runs(settings) == runs  # nothing recorded
    assert run_results.stat().st_mtime_ns == results_stamp
    assert _published(settings) == published


def test_a_new_landed_file_builds_only_its_tables_dependants(
    demo_warehouse: Any, tmp_path: Path
) -> None:
    from crm_warehouse.pipeline import refresh

    settings = _copy_demo(demo_warehouse.settings, tmp_path / "home")
    folder = settings.landing_dir / "web_sessions"
    last = sorted(folder.glob("*.parquet"))[-1]
    new = folder / "web_sessions__b99_2026-01-15.parquet"
    con = duckdb.connect()
    con.execute(
        f"copy (select * replace (session_id || '-late' as session_id)"
        f" from read_parquet('{last}') limit 3) to '{new}' (format parquet)"
    )
    con.close()
    before = _published(settings)

    report = refresh(settings)
    assert report.status == "ok"
    plan = report.summary["plan"]
    assert plan["changed_tables"] == ["web_sessions"]
    assert plan["select"] == ["source:crm.web_sessions+", "source:crm_loader+"]
    built = _built_nodes(settings)
    assert "model.crm_warehouse.stg_crm__web_sessions" in built
    assert "model.crm_warehouse.stg_crm__teams" not in built
    assert not [n for n in built if n.startswith("unit_test.")]
    # after the build, the tables its merges filled with deleted rows are rewritten
    compact = next(s for s in report.steps if s.name == "compact")
    assert compact.status == "ok" and compact.details["deleted_share"] == 0.3
    assert compact.details["rewritten"] == []  # 3 new rows: nowhere near 30 %
    # the publish copied only what the build wrote, and the rest is as it was
    publish = next(s for s in report.steps if s.name == "publish")
    assert 0 < publish.details["copied"] < publish.details["tables"]
    after = _published(settings)
    dim_reps = "parquet/core/dim_reps.parquet"
    assert after[dim_reps][1] == before[dim_reps][1]  # not downstream: kept
    con = duckdb.connect(str(settings.publish_dir / "crm_marts.duckdb"), read_only=True)
    try:
        tables = con.execute("select schema_name, table_name from duckdb_tables()").fetchall()
        parquet = sorted((settings.publish_dir / "parquet").rglob("*.parquet"))
        assert len(parquet) == len(tables)
        for schema, table in tables:
            pq = settings.publish_dir / "parquet" / schema / f"{table}.parquet"
            diff = con.execute(
                f'select count(*) from (select * from "{schema}"."{table}" except all'
                f" select * from read_parquet('{pq}'))"
            ).fetchone()
            assert diff == (0,), f"{schema}.{table} differs from its Parquet file"
        last_run = con.execute(
            "select run_id from ops.refresh_runs order by started_at desc limit 1"
        ).fetchone()
    finally:
        con.close()
    assert last_run == (report.run_id,)
    assert refresh(settings).status == "up to date"


def test_a_changed_model_builds_it_and_what_is_downstream_only(
    demo_warehouse: Any, tmp_path: Path
) -> None:
    from crm_warehouse.pipeline import refresh

    demo = demo_warehouse.settings
    project = _copy_project(demo, tmp_path / "project")
    settings = _copy_demo(demo, tmp_path / "home", root=project)
    model = next((project / "models").rglob("kpi_marketing_web_monthly.sql"))
    model.write_text(model.read_text() + "\n-- a comment is a change of the model's code\n")

    report = refresh(settings)
    assert report.status == "ok"
    assert report.summary["plan"]["select"] == ["state:modified+"]
    built = _built_nodes(settings)
    models = {n for n in built if n.startswith("model.")}
    assert models == {"model.crm_warehouse.kpi_marketing_web_monthly"}
    assert refresh(settings).status == "up to date"


def test_the_test_commands_refresh_runs_every_unit_test(demo_warehouse: Any) -> None:
    """Production refreshes skip dbt's unit tests; the test command's refresh
    (conftest, unit_tests=True) runs every one the project declares."""
    settings = demo_warehouse.settings
    manifest = json.loads((target_path(settings) / "manifest.json").read_text())
    declared = len(manifest["unit_tests"])
    step = next(s for s in demo_warehouse.report.steps if s.name == "dbt build")
    counts = step.details["counts"]
    assert declared > 100
    assert counts.get("unit_test:pass") == declared, counts


def test_a_first_refresh_checks_freshness_on_the_manifest_it_parsed(demo_warehouse: Any) -> None:
    """With no kept manifest, the refresh runs `dbt parse` (whose manifest the
    build reuses) and checks freshness in one query on its thresholds, not
    with `dbt source freshness`."""
    steps = {s.name: s for s in demo_warehouse.report.steps}
    assert steps["freshness"].details["query"] == "one, after dbt parse"
    assert steps["freshness"].details["empty"] + steps["freshness"].details["fresh"] > 10
    assert steps["dbt build"].status == "ok"
