"""Dates and timestamps outside the loader's sane window are quarantined (issue #18, item 2).

A year typed 2999 or 1900 is a valid date, so the type checks let it through;
downstream it stretched the month spine and the as-of date and blanked the KPIs.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from crm_warehouse.ingest.load import load_landing
from crm_warehouse.settings import (
    DEFAULT_DATE_WINDOW_START,
    DEFAULT_DATE_WINDOW_YEARS_AHEAD,
    Settings,
    date_window,
)

HEADER = "opportunity_id,stage_name,amount,currency_code,created_at,expected_close_date,updated_at,is_deleted"
REL = "opportunities/opportunities__b01_2024-01-31.csv"
ROWS = [
    "O1,Prospecting,10.00,USD,2024-01-01T10:00:00Z,2024-02-01,2024-03-01T00:00:00Z,false",
    "O2,Prospecting,20.00,USD,2024-01-02T10:00:00Z,2999-01-01,2024-03-01T00:00:00Z,false",  # absurd future
    "O3,Prospecting,30.00,USD,1900-01-01T00:00:00Z,2024-02-01,2024-03-01T00:00:00Z,false",  # absurd past
    "O4,Prospecting,40.00,USD,1990-01-01T00:00:00Z,1990-01-01,2024-03-01T00:00:00Z,false",  # first day: in
    "O5,Prospecting,50.00,USD,1989-12-31T23:59:59Z,2024-02-01,2024-03-01T00:00:00Z,false",  # a second early
]


@pytest.fixture
def s(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.delenv("CRM_DATE_WINDOW_START", raising=False)
    monkeypatch.delenv("CRM_DATE_WINDOW_YEARS_AHEAD", raising=False)
    settings = Settings.under(tmp_path)
    path = settings.landing_dir / REL
    path.parent.mkdir(parents=True)
    path.write_text("\n".join([HEADER, *ROWS]) + "\n", encoding="utf-8")
    return settings


def _flat(output: str) -> str:
    """Console output with rich's box and line wrapping undone."""
    return " ".join(output.replace("│", " ").split())


def _loaded_ids(s: Settings) -> list[str]:
    with duckdb.connect(str(s.warehouse_path), read_only=True) as con:
        rows = con.execute("select opportunity_id from raw.opportunities order by 1").fetchall()
    return [r[0] for r in rows]


def test_default_window_is_1990_to_ten_years_after_the_load_date() -> None:
    window = date_window(today=date(2026, 12, 4))
    assert (date(1990, 1, 1), 10) == (DEFAULT_DATE_WINDOW_START, DEFAULT_DATE_WINDOW_YEARS_AHEAD)
    assert (window.start, window.end) == (date(1990, 1, 1), date(2036, 12, 4))
    assert date_window(today=date(2028, 2, 29)).end == date(2038, 2, 28)


def test_absurd_dates_are_quarantined_with_file_row_column_and_value(s: Settings) -> None:
    (f,) = load_landing(s).files
    assert f.status == "loaded"
    assert (f.rows_landed, f.rows_loaded, f.rows_quarantined) == (5, 2, 3)
    assert f.rows_landed == f.rows_loaded + f.rows_quarantined
    assert _loaded_ids(s) == ["O1", "O4"]

    end = date_window().end.isoformat()
    window = f"1990-01-01 to {end} (CRM_DATE_WINDOW_START, CRM_DATE_WINDOW_YEARS_AHEAD)"
    assert (
        f"{REL}: row 2, column expected_close_date: value '2999-01-01' is outside the"
        f" accepted date window {window} (row quarantined)"
    ) in f.messages
    assert (
        f"{REL}: row 3, column created_at: value '1900-01-01T00:00:00Z' is outside the"
        f" accepted date window {window} (row quarantined)"
    ) in f.messages
    assert any(
        m.startswith(f"{REL}: row 5, column created_at: value '1989-12-31T23:59:59Z'")
        for m in f.messages
    )

    with duckdb.connect(str(s.warehouse_path), read_only=True) as con:
        quarantined = con.execute(
            "select source_row, column_name, rule, raw_value, raw_record from raw._quarantine"
            " order by source_row"
        ).fetchall()
    assert [q[:4] for q in quarantined] == [
        (2, "expected_close_date", "date_window", "2999-01-01"),
        (3, "created_at", "date_window", "1900-01-01T00:00:00Z"),
        (5, "created_at", "date_window", "1989-12-31T23:59:59Z"),
    ]
    assert json.loads(quarantined[0][4])["opportunity_id"] == "O2"
    rejected = s.quarantine_dir / "opportunities" / "opportunities__b01_2024-01-31.csv.rejected.csv"
    assert "2999-01-01" in rejected.read_text(encoding="utf-8")


def test_the_window_is_configurable_by_setting_and_environment(
    s: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CRM_DATE_WINDOW_START", "1800-01-01")
    years = date(2999, 1, 1).year - datetime.now(UTC).year + 1
    monkeypatch.setenv("CRM_DATE_WINDOW_YEARS_AHEAD", str(years))
    (f,) = load_landing(s).files
    assert (f.rows_landed, f.rows_loaded, f.rows_quarantined) == (5, 5, 0)

    tight = Settings.under(s.landing_dir.parent / "tight")
    tight.landing_dir.mkdir(parents=True)
    (s.landing_dir / REL).parent.rename(tight.landing_dir / "opportunities")
    from dataclasses import replace

    tight = replace(tight, date_window_start=date(2024, 1, 2), date_window_years_ahead=0)
    (f,) = load_landing(tight).files
    assert _loaded_ids(tight) == []  # O1's created_at is before the 2nd; O2's close is ahead
    assert f.rows_landed == f.rows_loaded + f.rows_quarantined == 5


def test_cli_load_takes_the_window_and_refuses_a_bad_one(s: Settings) -> None:
    from crm_warehouse.cli import app

    args = ["load", "--landing", str(s.landing_dir), "--warehouse", str(s.warehouse_path)]
    bad = CliRunner().invoke(app, [*args, "--date-window-start", "1990-13-01"])
    assert bad.exit_code == 2
    assert "not a date; give one as YYYY-MM-DD" in _flat(bad.output)
    assert not s.warehouse_path.exists()

    res = CliRunner().invoke(app, [*args, "--date-window-start", "1899-01-01"])
    assert res.exit_code == 3, res.output  # a row was quarantined (docs/loading.md#exit-codes)
    output = _flat(res.output)
    assert f"{REL}: row 2, column expected_close_date: value '2999-01-01' is outside" in output
    assert "accepted date window 1899-01-01 to" in output
    assert "row 3" not in output  # 1900 is inside this window
    assert "rows landed 5, rows loaded 4, rows quarantined 1" in output
    assert _loaded_ids(s) == ["O1", "O3", "O4", "O5"]
