"""The semantic layer's trailing twelve months are twelve calendar months, as
the marts' are, in a February after a leap year too: a window of 12 months
over days ending on 28 February 2025 starts on 28 February 2024 and takes in
the 29th, which belongs to the month before the twelve. The demo data has no
deal won or invoice issued on that day, so this test adds some, to a copy of
the demo warehouse, and asks MetricFlow."""

from __future__ import annotations

import shutil
from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest
from semantic_parity import mf_frame, period_start

from crm_warehouse.settings import Settings

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("warehouse")]

PARTNER = "PRT-LEAP-DAY"
#: (id, close date or invoice date, amount): one on the leap day, one the day after
ROWS = (
    ("LEAP-1", date(2024, 2, 29), Decimal("1000.00")),
    ("LEAP-2", date(2024, 3, 1), Decimal("7.00")),
)


def _copy_with_leap_day_rows(demo: Settings, home: Path) -> Settings:
    settings = replace(Settings.under(home), root=demo.root)
    shutil.copytree(demo.warehouse_path.parent, settings.warehouse_path.parent)
    con = duckdb.connect(str(settings.warehouse_path))
    try:
        for key, day, amount in ROWS:
            con.execute(
                "insert into core.fct_opportunities by name select ? as opportunity_id,"
                " true as is_won, false as is_lost, false as is_open, ? as closed_date,"
                " ? as amount, ? as partner_id",
                [key, day, amount, PARTNER],
            )
            con.execute(
                "insert into core.fct_invoices by name select ? as invoice_id,"
                " ? as invoice_date, ? as amount",
                [key, day, amount],
            )
    finally:
        con.close()
    return settings


def test_trailing_twelve_months_are_calendar_months_after_a_leap_year(
    demo_warehouse: Any, tmp_path: Path
) -> None:
    from crm_warehouse.semantic.offline import session

    settings = _copy_with_leap_day_rows(demo_warehouse.settings, tmp_path)
    with session(settings) as mf:
        won = mf_frame(
            mf, ["won_revenue_trailing_12m"], ["metric_time__month", "opportunity__partner"]
        )
        both = mf_frame(mf, ["invoiced_trailing_12m"], ["metric_time__month"])
    ours = won[won["opportunity__partner"] == PARTNER]
    by_month = {
        period_start(m): float(v) for m, v in zip(ours.iloc[:, 0], ours.iloc[:, -1], strict=True)
    }
    # March 2023-February 2024 holds the leap day's deal; March 2024-February 2025 only the next
    assert by_month[date(2024, 2, 1)] == 1000.0
    assert by_month[date(2025, 1, 1)] == 1007.0
    assert by_month[date(2025, 2, 1)] == 7.0
    assert by_month.get(date(2025, 3, 1), 0.0) == 0.0

    # the invoices: February 2025 less January 2025 is what February 2025 adds
    # and February 2024 takes out; the leap day's invoice leaves with February 2024
    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    try:
        monthly = dict(
            con.execute(
                "select cast(date_trunc('month', invoice_date) as date), sum(amount)"
                " from core.fct_invoices"
                " group by 1"
            ).fetchall()
        )
    finally:
        con.close()
    invoiced = {
        period_start(m): float(v) for m, v in zip(both.iloc[:, 0], both.iloc[:, -1], strict=True)
    }
    step = invoiced[date(2025, 2, 1)] - invoiced[date(2025, 1, 1)]
    added = float(monthly.get(date(2025, 2, 1), 0))
    removed = float(monthly.get(date(2024, 2, 1), 0))  # the leap day's 1000.00 included
    assert step == pytest.approx(added - removed)
