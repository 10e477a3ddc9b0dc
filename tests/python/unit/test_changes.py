"""What a refresh builds after loading (crm_warehouse.changes): the project and
environment fingerprints, and the plan made from the run log and the loader's
ledger of a small warehouse written here (no dbt)."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import duckdb
import pytest

from crm_warehouse.changes import (
    BUILD,
    PUBLISH_ONLY,
    UP_TO_DATE,
    current_state,
    dbt_selection_args,
    fingerprints,
    plan,
    published_stamp,
    state_dir,
)
from crm_warehouse.ingest.ledger import LEDGER_DDL
from crm_warehouse.serve.runlog import write_run_log
from crm_warehouse.settings import Settings, project_root

T0 = datetime(2026, 1, 5, 3, 0, 0)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of the dbt project's files (no data)."""
    root = project_root()
    copy = tmp_path / "project"
    for name in ("models", "macros", "seeds", "tests", "analyses", "profiles"):
        if (root / name).is_dir():
            shutil.copytree(root / name, copy / name)
    shutil.copy2(root / "dbt_project.yml", copy / "dbt_project.yml")
    return copy


@pytest.fixture
def settings(tmp_path: Path, project: Path) -> Settings:
    s = replace(Settings.under(tmp_path / "home"), root=project)
    s.warehouse_path.parent.mkdir(parents=True)
    s.publish_dir.mkdir(parents=True)
    (s.publish_dir / "crm_marts.duckdb").write_bytes(b"published")
    return s


def _ledger_row(con: duckdb.DuckDBPyConnection, name: str, table: str, at: datetime) -> None:
    con.execute(
        "insert into raw._load_ledger values (?, ?, ?, 'b', 'loaded', 3, 3, 0, ?, ?, null, 10, null)",
        [name, f"{table}/{name}.csv", table, at, at],
    )


def _record(settings: Settings, status: str, state: dict | None, at: datetime) -> str:
    """A run in the warehouse's run log, as the pipeline records it."""
    run_id = f"run{at:%H%M%S}"
    report = SimpleNamespace(
        run_id=run_id,
        started_at=at,
        finished_at=at + timedelta(seconds=5),
        status=status,
        message=None,
        steps=[],
        to_dict=lambda: {"summary": {"build_state": state} if state else {}},
    )
    con = duckdb.connect(str(settings.warehouse_path))
    try:
        write_run_log(con, con.execute("select current_database()").fetchone()[0], report)
    finally:
        con.close()
    return run_id


def _built(settings: Settings) -> str:
    """A warehouse with one landed file and a successful run that built from it;
    returns the run's id."""
    con = duckdb.connect(str(settings.warehouse_path))
    con.execute("create schema raw")
    con.execute(LEDGER_DDL)
    _ledger_row(con, "h1", "leads", T0)
    con.close()
    state, inputs = current_state(settings)
    inputs["con"].close()
    state["published"] = published_stamp(settings)
    return _record(settings, "ok", state, T0 + timedelta(minutes=1))


def test_the_project_fingerprint_follows_file_content_not_timestamps(project: Path) -> None:
    s = replace(Settings.under(project.parent / "home"), root=project)
    before = fingerprints(s)
    model = next((project / "models").rglob("stg_crm__teams.sql"))
    model.touch()
    assert fingerprints(s) == before
    model.write_text(model.read_text() + "\n-- changed\n")
    after = fingerprints(s)
    assert after["project"] != before["project"]
    assert after["environment"] == before["environment"]


def test_the_environment_fingerprint_follows_env_vars_seed_rows_and_dbt_args(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    s = replace(Settings.under(project.parent / "home"), root=project)
    base = fingerprints(s)["environment"]
    monkeypatch.setenv("CRM_DUCKDB_PATH", "/elsewhere/crm.duckdb")  # set by crm-warehouse itself
    assert fingerprints(s)["environment"] == base
    monkeypatch.setenv("CRM_DBT_THREADS", "7")  # read by profiles.yml
    threads = fingerprints(s)["environment"]
    assert threads != base
    rows = s.landing_dir / ".seed_rows"
    rows.mkdir(parents=True)
    (rows / "stages.csv").write_text("raw_stage,stage\nx,won\n")
    assert fingerprints(s)["environment"] != threads
    assert fingerprints(s, ["--vars", "{a: 1}"])["environment"] != fingerprints(s)["environment"]


def test_no_earlier_run_builds_everything(settings: Settings) -> None:
    chosen, state = plan(settings)
    assert chosen.action == BUILD and chosen.select == []
    assert "no earlier successful refresh" in chosen.reasons[0]
    assert set(state) >= {"project", "environment", "ledger"}


def test_nothing_new_is_up_to_date_with_the_last_runs_id(settings: Settings) -> None:
    run_id = _built(settings)
    chosen, _ = plan(settings)
    assert chosen.action == UP_TO_DATE
    assert chosen.last_run_id == run_id


def test_rows_landed_build_their_tables_dependants_only(settings: Settings) -> None:
    _built(settings)
    con = duckdb.connect(str(settings.warehouse_path))
    _ledger_row(con, "h2", "teams", T0 + timedelta(hours=1))
    con.execute(
        "insert into raw._load_ledger values"
        " ('h3', 'reps/x.csv', 'reps', 'b', 'rejected', 0, 0, 0, ?, ?, 'bad', 1, null)",
        [T0 + timedelta(hours=1), T0 + timedelta(hours=1)],
    )
    con.close()
    chosen, _ = plan(settings)
    assert chosen.action == BUILD
    assert chosen.changed_tables == ["teams"]  # reps: a rejected file landed no row
    assert chosen.select == ["source:crm.teams+", "source:crm_loader+"]
    assert chosen.published_intact
    assert dbt_selection_args(settings, chosen) == ["--select", *chosen.select]


def test_a_changed_model_builds_state_modified_against_the_kept_manifest(
    settings: Settings,
) -> None:
    _built(settings)
    model = next((settings.root / "models").rglob("stg_crm__teams.sql"))
    model.write_text(model.read_text() + "\n-- changed\n")
    chosen, _ = plan(settings)
    assert chosen.action == BUILD and chosen.select == []  # no manifest kept: everything
    assert "no manifest" in chosen.reasons[0]
    state_dir(settings).mkdir()
    (state_dir(settings) / "manifest.json").write_text(json.dumps({"nodes": {}}))
    chosen, _ = plan(settings)
    assert chosen.select == ["state:modified+"]
    args = dbt_selection_args(settings, chosen)
    assert args == [
        "--select",
        "state:modified+",
        "--state",
        str(state_dir(settings)),
        "--full-refresh",
    ]


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ("failed", "the last refresh"),
        ("full", "--full-refresh"),
        ("select", "own dbt selection"),
        ("env", "environment"),
    ],
)
def test_what_builds_everything(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, change: str, reason: str
) -> None:
    _built(settings)
    args: list[str] = []
    if change == "failed":
        _record(settings, "failed", None, T0 + timedelta(hours=2))
    elif change == "select":
        args = ["--select", "stg_crm__teams"]
    elif change == "env":
        monkeypatch.setenv("CRM_DBT_THREADS", "9")
    chosen, _ = plan(settings, args, full_refresh=change == "full")
    assert chosen.action == BUILD and chosen.select == []
    assert reason in chosen.reasons[0]


def test_a_missing_or_replaced_published_file_is_published_again(settings: Settings) -> None:
    _built(settings)
    marts = settings.publish_dir / "crm_marts.duckdb"
    marts.write_bytes(b"something else entirely")
    assert plan(settings)[0].action == PUBLISH_ONLY
    marts.unlink()
    assert plan(settings)[0].action == PUBLISH_ONLY


def test_freshness_in_one_query_gives_dbts_verdicts(tmp_path: Path) -> None:
    from crm_warehouse.freshness import check

    now = datetime.now(UTC).replace(tzinfo=None)
    wh = tmp_path / "wh.duckdb"
    con = duckdb.connect(str(wh))
    con.execute("create schema raw")
    for name, age_hours in (("fresh", 1), ("late", 40), ("stale", 100)):
        con.execute(
            f"create table raw.{name} as select ? as _loaded_at", [now - timedelta(hours=age_hours)]
        )
    con.execute("create table raw.nothing (_loaded_at timestamp)")
    con.close()
    rule = {
        "warn_after": {"count": 36, "period": "hour"},
        "error_after": {"count": 4, "period": "day"},
        "filter": None,
    }
    sources = {
        f"source.p.crm.{name}": {
            "schema": "raw",
            "identifier": name,
            "loaded_at_field": "_loaded_at",
            "freshness": rule,
        }
        for name in ("fresh", "late", "stale", "nothing")
    }
    sources["source.p.crm.unchecked"] = {"schema": "raw", "identifier": "x", "freshness": rule}
    manifest = tmp_path / "manifest.json"
    manifest.write_text(json.dumps({"sources": sources}))
    verdicts = {v.unique_id.split(".")[-1]: v.status for v in check(wh, manifest) or []}
    assert verdicts == {"fresh": "pass", "late": "warn", "stale": "error", "nothing": "empty"}
    sources["source.p.crm.gone"] = {**sources["source.p.crm.fresh"], "identifier": "gone"}
    manifest.write_text(json.dumps({"sources": sources}))
    assert check(wh, manifest) is None  # a relation missing: ask dbt
