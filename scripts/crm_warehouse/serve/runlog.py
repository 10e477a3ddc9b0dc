"""The run log: what every refresh did, kept in the warehouse.

`ops.refresh_runs` has one row per refresh (run id, start and end, status, the
failed step and its message, rows loaded and quarantined, dbt tests passed,
warned and failed); `ops.refresh_steps` one row per step with its duration and
details. The pipeline writes both at the end of every refresh, failed ones
included, and the publisher copies them into the BI file. `summary_lines`
turns a run report into the lines printed at the end of a refresh.
"""

from __future__ import annotations

import copy
import dataclasses
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

SCHEMA = "ops"

_RUNS_DDL = """
create table if not exists {cat}.ops.refresh_runs (
    run_id varchar primary key,
    started_at timestamp,
    finished_at timestamp,
    status varchar,
    seconds double,
    failed_step varchar,
    message varchar,
    rows_loaded bigint,
    rows_quarantined bigint,
    tests_passed integer,
    tests_warned integer,
    tests_failed integer,
    models_built integer,
    report_json varchar
)
"""

_STEPS_DDL = """
create table if not exists {cat}.ops.refresh_steps (
    run_id varchar,
    step_order integer,
    step_name varchar,
    started_at timestamp,
    seconds double,
    status varchar,
    details_json varchar,
    primary key (run_id, step_order)
)
"""

_COMMENTS = {
    "refresh_runs": "One row per refresh (crm-warehouse refresh / make run): when it ran, how it "
    "ended, rows loaded and quarantined, dbt tests passed, warned and failed.",
    "refresh_steps": "One row per step of a refresh: generate, load, freshness, dbt build, "
    "publish, dashboard, docs; its duration in seconds, status and details as JSON.",
}

#: Keys of the load step's details that count loaded and quarantined rows,
#: most specific first.
_LOADED_KEYS = ("rows_loaded", "loaded_rows", "rows_appended", "appended_rows", "rows_inserted")
_QUARANTINED_KEYS = (
    "rows_quarantined",
    "quarantined_rows",
    "rows_rejected",
    "rejected_rows",
)


def _naive_utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value


def _first_int(details: Mapping[str, Any], keys: tuple[str, ...]) -> int | None:
    for key in keys:
        value = details.get(key)
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    return None


def run_totals(report: Any) -> dict[str, int | None]:
    """Rows loaded and quarantined, dbt tests passed/warned/failed and models built
    of a pipeline.RunReport (None where the step did not run)."""
    totals: dict[str, int | None] = {
        "rows_loaded": None,
        "rows_quarantined": None,
        "tests_passed": None,
        "tests_warned": None,
        "tests_failed": None,
        "models_built": None,
    }
    for step in report.steps:
        if step.name == "load":
            totals["rows_loaded"] = _first_int(step.details, _LOADED_KEYS)
            totals["rows_quarantined"] = _first_int(step.details, _QUARANTINED_KEYS)
        elif step.name == "dbt build":
            counts: Mapping[str, int] = step.details.get("counts", {}) or {}
            passed = warned = failed = models = 0
            for key, n in counts.items():
                kind, _, status = key.partition(":")
                if kind in ("test", "unit_test"):
                    if status in ("pass", "success"):
                        passed += n
                    elif status == "warn":
                        warned += n
                    elif status in ("fail", "error", "runtime error"):
                        failed += n
                elif kind in ("model", "snapshot", "seed") and status == "success":
                    models += n
            totals.update(
                tests_passed=passed, tests_warned=warned, tests_failed=failed, models_built=models
            )
    return totals


def ensure_tables(con: duckdb.DuckDBPyConnection, catalog: str) -> None:
    """Create ops.refresh_runs and ops.refresh_steps in `catalog` when missing."""
    con.execute(f"create schema if not exists {catalog}.{SCHEMA}")
    con.execute(_RUNS_DDL.format(cat=catalog))
    con.execute(_STEPS_DDL.format(cat=catalog))
    for table, comment in _COMMENTS.items():
        con.execute(f"comment on table {catalog}.{SCHEMA}.{table} is '{comment}'")


def write_run_log(con: duckdb.DuckDBPyConnection, catalog: str, report: Any) -> None:
    """Insert (or replace) `report`'s run and steps in `catalog`.ops."""
    ensure_tables(con, catalog)
    data = report.to_dict()
    totals = run_totals(report)
    failed = next((s.name for s in report.steps if s.status == "failed"), None)
    seconds = None
    if report.finished_at is not None:
        seconds = (report.finished_at - report.started_at).total_seconds()
    con.execute("begin transaction")
    try:
        con.execute(f"delete from {catalog}.ops.refresh_steps where run_id = ?", [report.run_id])
        con.execute(f"delete from {catalog}.ops.refresh_runs where run_id = ?", [report.run_id])
        con.execute(
            f"insert into {catalog}.ops.refresh_runs values "
            "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                report.run_id,
                _naive_utc(report.started_at),
                _naive_utc(report.finished_at),
                report.status,
                seconds,
                failed,
                getattr(report, "message", None),
                totals["rows_loaded"],
                totals["rows_quarantined"],
                totals["tests_passed"],
                totals["tests_warned"],
                totals["tests_failed"],
                totals["models_built"],
                json.dumps(data, default=str),
            ],
        )
        for order, step in enumerate(report.steps, start=1):
            con.execute(
                f"insert into {catalog}.ops.refresh_steps values (?, ?, ?, ?, ?, ?, ?)",
                [
                    report.run_id,
                    order,
                    step.name,
                    _naive_utc(step.started_at),
                    round(step.seconds, 3),
                    step.status,
                    json.dumps(step.details, default=str),
                ],
            )
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise


#: Status of the publishing run in the published file's run log: the build was
#: green and the file holding this row is the one it published (the dashboard
#: and docs steps that follow are in the warehouse's log, with the run's end).
PUBLISHED = "published"


def write_published_run(
    con: duckdb.DuckDBPyConnection, catalog: str, report: Any, published_at: datetime
) -> None:
    """Write the publishing run into the new BI file (`catalog`) before it is
    swapped in, as it stands once that swap happens: status 'published',
    finished at `published_at`, its running (publish) step 'ok'. A run written
    as it was mid-publish would say 'running' forever in the published file,
    which is never written again after the swap; the swap is atomic, so a
    reader sees this row together with the data it describes, or neither."""
    snapshot = copy.copy(report)
    snapshot.steps = [
        dataclasses.replace(s, status="ok", seconds=(published_at - s.started_at).total_seconds())
        if s.status == "running"
        else s
        for s in report.steps
    ]
    if snapshot.status == "running":
        snapshot.status = PUBLISHED
    if snapshot.finished_at is None:
        snapshot.finished_at = published_at
    write_run_log(con, catalog, snapshot)


def record_run(warehouse: Path, report: Any) -> str | None:
    """Write `report` into the warehouse's run log. Returns None on success, else
    why it could not (the refresh's own outcome must not be hidden by this)."""
    try:
        warehouse.parent.mkdir(parents=True, exist_ok=True)
        con = duckdb.connect()
        try:
            con.execute(f"attach '{str(warehouse).replace(chr(39), chr(39) * 2)}' as wh")
            write_run_log(con, "wh", report)
            con.execute("detach wh")
        finally:
            con.close()
    except Exception as exc:
        return f"could not write the run log into {warehouse}: {type(exc).__name__}: {exc}"
    return None


def read_runs(warehouse: Path, limit: int = 10, with_report: bool = False) -> list[dict[str, Any]]:
    """The latest `limit` runs of a warehouse's (or published file's) run log,
    newest first; `with_report` adds each run's whole report (steps and their
    details, summary) as `report`."""
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        exists = con.execute(
            "select count(*) from duckdb_tables() where schema_name = 'ops' "
            "and table_name = 'refresh_runs'"
        ).fetchone()
        if not exists or not exists[0]:
            return []
        cur = con.execute(
            "select * from ops.refresh_runs order by started_at desc limit ?", [limit]
        )
        names = [d[0] for d in cur.description]
        rows = [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
    finally:
        con.close()
    for row in rows:
        report = row.pop("report_json", None)
        if with_report:
            row["report"] = json.loads(report) if report else None
    return rows


def _fmt(value: int | None) -> str:
    return "n/a" if value is None else f"{value:,}"


#: Warned tests named in the summary printed after a refresh; the rest are
#: counted ("and N more") and all are in the run log (the dbt build step's details).
WARNED_SHOWN = 10


def warned_lines(data: Mapping[str, Any], shown: int = WARNED_SHOWN) -> list[str]:
    """The line naming the tests that warned in a run (RunReport.to_dict()), with
    the rows each found, the most first; [] when none warned."""
    step = next((s for s in data.get("steps") or [] if s.get("name") == "dbt build"), None)
    warned: list[Mapping[str, Any]] = (step or {}).get("details", {}).get("warned_tests") or []
    if not warned:
        return []
    named = ", ".join(f"{w['test']} ({_fmt(w.get('failures'))} rows)" for w in warned[:shown])
    more = len(warned) - shown
    tail = (
        f", and {more:,} more (all in the run log: crm-warehouse runs --json, ops.refresh_steps)"
        if more > 0
        else ""
    )
    return [f"Warned tests ({len(warned):,}): {named}{tail}"]


def summary_lines(data: Mapping[str, Any]) -> list[str]:
    """Lines printed after the step table: totals of the run, then headline KPIs
    and where the outputs are, when the run got that far. `data` is
    RunReport.to_dict()."""
    summary: Mapping[str, Any] = data.get("summary") or {}
    lines: list[str] = []
    totals: Mapping[str, Any] = summary.get("totals") or {}
    if totals:
        lines.append(
            f"Rows loaded {_fmt(totals.get('rows_loaded'))}, quarantined "
            f"{_fmt(totals.get('rows_quarantined'))}; dbt tests passed "
            f"{_fmt(totals.get('tests_passed'))}, warned {_fmt(totals.get('tests_warned'))}, "
            f"failed {_fmt(totals.get('tests_failed'))}; models built {_fmt(totals.get('models_built'))}"
        )
    lines.extend(warned_lines(data))
    unmapped: list[str] = summary.get("unmapped_values") or []
    if unmapped:
        lines.append(
            "Unmapped values (no seed maps them: add them to seeds/ or fix them in the CRM; "
            "data_quality.dq_unmapped_values): " + ", ".join(unmapped)
        )
    holiday_gaps: list[str] = summary.get("years_without_holidays") or []
    if holiday_gaps:
        lines.append(
            "Business hours count every weekday as working time in these years: "
            "seeds/business_holidays.csv lists no holiday for the schedule "
            "(data_quality.dq_business_holiday_years): " + ", ".join(holiday_gaps)
        )
    kpis: list[Mapping[str, Any]] = summary.get("kpis") or []
    lines.extend(kpi_lines(kpis))
    for label, key in (
        ("BI file", "marts_file"),
        ("Parquet", "parquet_dir"),
        ("Dashboard", "dashboard"),
        ("dbt docs", "docs"),
    ):
        if summary.get(key):
            lines.append(f"{label}: {summary[key]}")
    if summary.get("run_log_error"):
        lines.append(f"Warning: {summary['run_log_error']}")
    return lines


def kpi_lines(kpis: list[Mapping[str, Any]]) -> list[str]:
    """The headline KPIs (KpiValue.to_dict()) as summary lines: each value with
    the period it covers; then the KPIs this export cannot give, with the
    entity it lacks ("not in this export: no leads"); then those without a
    value, with why."""
    lines: list[str] = []

    def state(k: Mapping[str, Any]) -> str:
        # reports written before KPIs had a state listed only KPIs with a value
        return str(k.get("state") or "value")

    def named(k: Mapping[str, Any]) -> str:
        return f"{k['label']} ({k['period']})" if k.get("period") else str(k["label"])

    shown = [k for k in kpis if state(k) == "value"]
    if shown:
        lines.append("Headline KPIs: " + "; ".join(f"{named(k)} {k['display']}" for k in shown))
    absent = [k for k in kpis if state(k) == "absent"]
    if absent:
        lines.append(
            "Not in this export: " + "; ".join(f"{k['label']} ({k.get('note')})" for k in absent)
        )
    empty = [k for k in kpis if state(k) not in ("value", "absent")]
    if empty:
        lines.append(
            "No value: "
            + "; ".join(f"{named(k)}" + (f": {k['note']}" if k.get("note") else "") for k in empty)
        )
    return lines
