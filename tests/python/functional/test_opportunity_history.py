"""Two versions of the same small export, landed a day apart, give the
opportunity history (KPI H1) the right intervals.

Two hand-written opportunities files are landed and loaded one after the
other, with the loader's clock set to 2026-01-01 02:00 and then a day later
(the load time is the raw `_loaded_at` the history is dated by). After each
load the models of the history are built: the first time everything the
history needs, the second time only what the refresh's change planning
selects for new opportunity rows (`source:crm.opportunities+`), intersected
with the history's ancestors to keep the test cheap: that the intersection
holds the history proves a refresh takes the snapshot when opportunities
receive rows.

O1's export advances updated_at with its change (proposal, amount 100 ->
150, close 2026-03-31 -> 2026-02-28, forecast pipeline -> commit): the new
version holds from the CRM's time. O2's export keeps a fixed updated_at (as
an import that stamps one): its change holds from the second load, a day
after the first. O3 is exported unchanged: one version. Neither has stage
history, so their stage intervals come from the snapshots."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from crm_warehouse.build import run_dbt
from crm_warehouse.ingest import load as load_module
from crm_warehouse.ingest.load import load_landing
from crm_warehouse.settings import Settings

HEADER = (
    "opportunity_id,stage_name,amount,currency_code,created_at,expected_close_date,"
    "closed_at,owner_rep_id,forecast_category,updated_at"
)
FIRST = [
    "O1,Prospecting,100.00,USD,2025-12-01 09:00:00,2026-03-31,,r1,Pipeline,2025-12-31 10:00:00",
    "O2,Qualification,500.00,USD,2025-12-15 09:00:00,2026-02-15,,r2,,2025-12-15 09:00:00",
    "O3,Closed Won,70.00,USD,2025-11-01 09:00:00,2025-12-20,2025-12-20 10:00:00,r1,,2025-12-20 10:00:00",
]
SECOND = [
    "O1,Proposal,150.00,USD,2025-12-01 09:00:00,2026-02-28,,r1,Commit,2026-01-01 18:00:00",
    "O2,Closed Lost,500.00,USD,2025-12-15 09:00:00,2026-02-15,2026-01-01 20:00:00,r2,,2025-12-15 09:00:00",
    FIRST[2],
]
FIRST_LOAD = datetime(2026, 1, 1, 2, 0)
SECOND_LOAD = datetime(2026, 1, 2, 2, 0)

#: the history and its ancestors (int_opportunity_stage_intervals among them)
MODELS = "+fct_opportunity_history"
BUILD = ["build", "--resource-type", "model", "--resource-type", "seed"]


def _land_and_load(settings: Settings, name: str, rows: list[str], at: datetime, mp) -> None:
    folder = settings.landing_dir / "opportunities"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text("\n".join([HEADER, *rows]) + "\n")
    mp.setattr(load_module, "utc_now", lambda: at)
    summary = load_landing(settings)
    loaded = [f for f in summary.files if f.path.endswith(name)]
    assert [(f.status, f.rows_loaded) for f in loaded] == [("loaded", len(rows))], summary.messages


def _build(settings: Settings, select: str) -> None:
    logs = ["--log-path", str(settings.warehouse_path.parent / "logs")]
    result = run_dbt(settings, [*BUILD, "--select", select, *logs])
    assert result.success, result.error


def _rows(warehouse: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    settings = Settings.under(tmp_path_factory.mktemp("history"))
    with pytest.MonkeyPatch.context() as mp:
        _land_and_load(settings, "opportunities__b01_2026-01-01.csv", FIRST, FIRST_LOAD, mp)
        _build(settings, MODELS)
        _land_and_load(settings, "opportunities__b02_2026-01-02.csv", SECOND, SECOND_LOAD, mp)
    # what a refresh selects for new opportunity rows, within the history's ancestors
    _build(settings, f"source:crm.opportunities+,{MODELS}")
    return settings


def test_two_loads_a_day_apart_give_the_intervals(history: Settings) -> None:
    rows = _rows(
        history.warehouse_path,
        "select opportunity_id, stage_name, amount, expected_close_date, forecast_category,"
        " stage_source, valid_from_at, valid_to_at from core.fct_opportunity_history"
        " order by opportunity_id, valid_from_at",
    )
    assert [(r[0], r[1], float(r[2]), str(r[3]), r[4], r[5], r[6], r[7]) for r in rows] == [
        # the CRM's time of the change (before the second load)
        ("O1", "prospecting", 100.0, "2026-03-31", "pipeline", "snapshot",
         datetime(2025, 12, 31, 10), datetime(2026, 1, 1, 18)),
        ("O1", "proposal", 150.0, "2026-02-28", "commit", "snapshot",
         datetime(2026, 1, 1, 18), None),
        # updated_at never advanced: the change holds from the second load
        ("O2", "qualification", 500.0, "2026-02-15", None, "snapshot",
         datetime(2025, 12, 15, 9), SECOND_LOAD),
        ("O2", "closed_lost", 500.0, "2026-02-15", None, "snapshot", SECOND_LOAD, None),
        ("O3", "closed_won", 70.0, "2025-12-20", None, "snapshot", datetime(2025, 12, 20, 10), None),
    ]  # fmt: skip


def test_stage_intervals_come_from_the_snapshots(history: Settings) -> None:
    rows = _rows(
        history.warehouse_path,
        "select opportunity_id, stage_name, history_source, entered_at, exited_at"
        " from intermediate.int_opportunity_stage_intervals order by opportunity_id, entered_at",
    )
    assert rows == [
        # the first stage seen is open: counted from the deal's creation
        ("O1", "prospecting", "snapshot", datetime(2025, 12, 1, 9), datetime(2026, 1, 1, 18)),
        ("O1", "proposal", "snapshot", datetime(2026, 1, 1, 18), None),
        ("O2", "qualification", "snapshot", datetime(2025, 12, 15, 9), SECOND_LOAD),
        ("O2", "closed_lost", "snapshot", SECOND_LOAD, None),
        # one stage only: no snapshot entries (the deal is treated as one without history)
    ]
