"""Tie-out: the UCI incident management event log against its published marts.

Every expected figure is computed here with pandas straight from the export's
own file (incident_event_log.csv, read once per test session), following
../shared/KPI_CATALOGUE.md; nothing is read from the warehouse to get it. The
only inputs taken from the repository are configuration, not computation:
the priority targets of seeds/case_priorities.csv, and for the business
hours (B1) the default schedule (dbt_project.yml's var, its hours in
seeds/business_schedules.csv and holidays in seeds/business_holidays.csv). The
choices the catalogue leaves open are written in docs/import.md ("UCI incident
management event log", "How the tie-out computes it") and each is a figure here.

Each figure is its own test, named KPI-column-dimension=member-month,
compared exactly with the published marts after the import: counts as
integers, hours to the mart's two decimals and ratios to its six (the
expected value is the exact fraction rounded half away from zero to that
scale, so the comparison is exact).
"""

from __future__ import annotations

import csv
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction
from statistics import median

import duckdb
import numpy as np
import pandas as pd
import pytest
import yaml
from published_imports import CENT, DATASETS, published, ratio, rounded

from crm_warehouse.serve.runlog import warned_lines
from crm_warehouse.settings import project_root

pytestmark = pytest.mark.xdist_group("tieout_b")

NAME = "uci_incident_management_event_log"
SOURCE = DATASETS / NAME

if not SOURCE.is_dir():
    pytest.skip(f"public dataset {NAME} not found in {DATASETS}", allow_module_level=True)

#: The log writes 29/2/2016 01:16 (day first, no seconds); its clock is taken as UTC.
TIMESTAMP_FORMAT = "%d/%m/%Y %H:%M"
#: Choice (mapping, docs/import.md): contact types as the contract's channels.
CHANNELS = {
    "Phone": "phone",
    "IVR": "phone",
    "Email": "email",
    "Self service": "web",
    "Direct opening": "web",
}
COLUMNS = [
    "number",
    "sys_mod_count",
    "sys_updated_at",
    "reopen_count",
    "made_sla",
    "opened_at",
    "resolved_at",
    "closed_at",
    "contact_type",
    "priority",
    "assigned_to",
]


def month_of(stamp) -> date | None:
    return None if pd.isna(stamp) else date(stamp.year, stamp.month, 1)


def priority_targets() -> dict[str, tuple[str, int, int]]:
    """raw priority (lower-cased) -> (priority, first-response hours, resolution
    hours), from seeds/case_priorities.csv."""
    with open(project_root() / "seeds" / "case_priorities.csv", newline="") as f:
        return {
            row["raw_priority"]: (
                row["priority"],
                int(row["first_response_target_hours"]),
                int(row["resolution_target_hours"]),
            )
            for row in csv.DictReader(f)
        }


# --------------------------------------------------------------------------- the export


def read_log() -> pd.DataFrame:
    """The event log (the columns the KPIs need), `?` read as null."""
    log = pd.read_csv(
        SOURCE / "incident_event_log.csv", dtype=str, keep_default_na=False, usecols=COLUMNS
    )
    return log.replace("?", None)


LOG = read_log()
#: Every agent named anywhere in the log, not only on the latest rows.
LOG_AGENTS = set(LOG["assigned_to"].dropna())


def read_cases(log: pd.DataFrame) -> pd.DataFrame:
    """One row per incident: its latest row in the log, the one with the highest
    sys_mod_count, then the latest sys_updated_at, then the last in the file."""
    log = log.copy()
    log["file_order"] = np.arange(len(log))
    log["sys_mod_count"] = log["sys_mod_count"].astype(int)
    for column in ("sys_updated_at", "opened_at", "resolved_at", "closed_at"):
        log[column] = pd.to_datetime(log[column], format=TIMESTAMP_FORMAT)
    latest = (
        log.sort_values(["number", "sys_mod_count", "sys_updated_at", "file_order"])
        .groupby("number")
        .tail(1)
        .set_index("number", drop=False)
        .sort_index()
    )
    targets = priority_targets()
    raw_priority = latest["priority"].str.strip().str.lower()
    cases = pd.DataFrame({"case_id": latest["number"]})
    cases["priority"] = raw_priority.map(lambda p: targets[p][0])
    cases["resolution_target_hours"] = raw_priority.map(lambda p: targets[p][2])
    cases["channel"] = latest["contact_type"].map(CHANNELS)
    cases["agent"] = latest["assigned_to"]
    cases["opened_at"] = latest["opened_at"]
    cases["resolved_at"] = latest["resolved_at"]
    cases["closed_at"] = latest["closed_at"]
    cases["updated_at"] = latest["sys_updated_at"]
    cases["reopened_count"] = latest["reopen_count"].astype(int)
    cases["made_sla"] = latest["made_sla"].map({"true": True, "false": False})
    cases["opened_month"] = cases["opened_at"].map(month_of)
    cases["closed_month"] = cases["closed_at"].map(month_of)
    # V3: a case is resolved only when its latest row says when; one closed
    # without a resolution is "closed unresolved", not resolved at its close.
    cases["is_resolved"] = cases["resolved_at"].notna()
    cases["is_closed_unresolved"] = cases["closed_at"].notna() & cases["resolved_at"].isna()
    cases["resolved_month"] = cases["resolved_at"].map(month_of)
    cases["seconds_to_resolution"] = (cases["resolved_at"] - cases["opened_at"]).dt.total_seconds()
    cases["resolution_due_at"] = cases["opened_at"] + pd.to_timedelta(
        cases["resolution_target_hours"], unit="h"
    )
    cases["resolution_due_month"] = cases["resolution_due_at"].map(month_of)
    # The export's own SLA verdict counts in the month the case ended: its
    # resolution, else its close.
    cases["ended_month"] = cases["resolved_at"].fillna(cases["closed_at"]).map(month_of)
    cases["all"] = "all"
    return cases


CASES = read_cases(LOG)
del LOG
#: As-of date: the latest event in the data (UTC date).
AS_OF = max(CASES[c].max() for c in ("opened_at", "resolved_at", "closed_at", "updated_at")).date()
MONTHS = [
    p.start_time.date()
    for p in pd.period_range(pd.Timestamp(CASES["opened_at"].min()), pd.Timestamp(AS_OF), freq="M")
]


# --------------------------------------------------------------------------- B1: business hours


def default_schedule() -> tuple[str, str, dict[int, tuple[float, float]], set[date]]:
    """The schedule that times cases of an unknown team (the UCI log names no
    teams): dbt_project.yml's var business_hours_default_schedule_id, its
    time zone and hours per ISO weekday from seeds/business_schedules.csv and
    its holidays (its own and those of 'all') from seeds/business_holidays.csv.
    Configuration, not computation."""
    root = project_root()
    config = yaml.safe_load((root / "dbt_project.yml").read_text())
    schedule_id = config["vars"]["business_hours_default_schedule_id"]
    with open(root / "seeds" / "business_schedules.csv", newline="") as f:
        rows = [r for r in csv.DictReader(f) if r["schedule_id"] == schedule_id]
    with open(root / "seeds" / "business_holidays.csv", newline="") as f:
        holidays = {
            date.fromisoformat(r["holiday_date"])
            for r in csv.DictReader(f)
            if r["schedule_id"] in ("all", schedule_id)
        }
    hours = {
        int(r["iso_day_of_week"]): (float(r["start_hour"]), float(r["end_hour"])) for r in rows
    }
    return schedule_id, rows[0]["time_zone"], hours, holidays


def business_intervals(first_day: date, last_day: date) -> pd.DataFrame:
    """The default schedule's working hours of each local day from first_day
    to last_day, in UTC (converted day by day with zoneinfo), with the
    business clock at each start: the working seconds of all earlier days."""
    _, zone, hours, holidays = default_schedule()
    calendar = (first_day + timedelta(days=n) for n in range((last_day - first_day).days + 1))
    days = [d for d in calendar if d.isoweekday() in hours and d not in holidays]

    def utc(day: date, hour: float) -> pd.Timestamp:
        local = pd.Timestamp(day) + pd.Timedelta(minutes=round(hour * 60))
        return local.tz_localize(zone).tz_convert("UTC").tz_localize(None)

    starts = [utc(d, hours[d.isoweekday()][0]) for d in days]
    ends = [utc(d, hours[d.isoweekday()][1]) for d in days]
    intervals = pd.DataFrame({"start": starts, "end": ends})
    intervals["seconds"] = (intervals["end"] - intervals["start"]).dt.total_seconds().astype(int)
    intervals["clock_start"] = intervals["seconds"].cumsum() - intervals["seconds"]
    return intervals


def business_clock(instants: pd.Series, intervals: pd.DataFrame) -> pd.Series:
    """Working seconds before each instant (0 before the first day; NaN for
    no instant): those of the earlier intervals plus the part of its own."""
    starts = intervals["start"].to_numpy()
    at = np.searchsorted(starts, instants.to_numpy(), side="right") - 1
    clock = pd.Series(np.nan, index=instants.index)
    clock[instants.notna().to_numpy()] = 0.0
    inside = instants.notna().to_numpy() & (at >= 0)
    i = at[inside]
    gone = (instants[inside].to_numpy() - starts[i]) / np.timedelta64(1, "s")
    clock[inside] = intervals["clock_start"].to_numpy()[i] + np.minimum(
        gone, intervals["seconds"].to_numpy()[i]
    )
    return clock


def business_due(readings: pd.Series, intervals: pd.DataFrame) -> pd.Series:
    """The instant the clock reaches each reading: inside the interval whose
    clock range (start, start + seconds] holds it; NaT beyond the last one."""
    ends = (intervals["clock_start"] + intervals["seconds"]).to_numpy()
    at = np.searchsorted(ends, readings.to_numpy(), side="left")
    due = pd.Series(pd.NaT, index=readings.index, dtype="datetime64[ns]")
    inside = (at < len(ends)) & (readings.to_numpy() > 0)
    i = at[inside]
    offset = readings.to_numpy()[inside] - intervals["clock_start"].to_numpy()[i]
    due[inside] = intervals["start"].to_numpy()[i] + pd.to_timedelta(offset, unit="s").to_numpy()
    return due


def add_business_times(cases: pd.DataFrame) -> None:
    """B1 per case, following the rules of docs (service_business_hours_rules):
    business seconds from opening to resolution (null when resolved before
    opening), the business due time of the resolution target, and its
    status. The calendar spine runs from the day before the first event to
    366 days after the as-of date; a due time beyond it is unknown."""
    first = min(cases[c].min() for c in ("opened_at", "resolved_at", "closed_at")).date()
    intervals = business_intervals(first - timedelta(days=1), AS_OF + timedelta(days=366))
    opened = business_clock(cases["opened_at"], intervals)
    resolved = business_clock(cases["resolved_at"], intervals)
    after_opening = cases["resolved_at"] >= cases["opened_at"]
    cases["business_seconds_to_resolution"] = (resolved - opened).where(after_opening)
    target = cases["resolution_target_hours"] * 3600
    cases["business_resolution_due_at"] = business_due(opened + target, intervals)
    met = (cases["resolved_at"] <= cases["opened_at"]) | (
        cases["business_seconds_to_resolution"] <= target
    )
    due_date = cases["business_resolution_due_at"].dt.date
    cases["business_resolution_sla_status"] = np.select(
        [
            cases["is_resolved"] & met,
            cases["is_resolved"],
            cases["is_closed_unresolved"],
            cases["business_resolution_due_at"].isna(),
            due_date <= AS_OF,
        ],
        ["met", "missed", "closed_unresolved", "no_business_hours", "missed"],
        default="pending",
    )
    cases["business_due_month"] = cases["business_resolution_due_at"].map(month_of)


add_business_times(CASES)

# --------------------------------------------------------------------------- KPIs, one function each


def v1_opened(cases: pd.DataFrame, month: date) -> int:
    # V1 cases opened in the month (UTC).
    return int((cases["opened_month"] == month).sum())


def v1_closed(cases: pd.DataFrame, month: date) -> int:
    # V1 cases closed in the month, resolved or not.
    return int((cases["closed_month"] == month).sum())


def resolved_in(cases: pd.DataFrame, month: date) -> pd.DataFrame:
    return cases[cases["is_resolved"] & (cases["resolved_month"] == month)]


def v3_resolved(cases: pd.DataFrame, month: date) -> int:
    # V3 population: cases whose (latest) resolution falls in the month.
    return len(resolved_in(cases, month))


def v3_resolved_after_reopen(cases: pd.DataFrame, month: date) -> int:
    # Of those, cases re-opened at least once before their final resolution.
    return int((resolved_in(cases, month)["reopened_count"] > 0).sum())


def closed_unresolved(cases: pd.DataFrame, month: date) -> int:
    # Beside V1/V3: cases closed in the month without ever being resolved.
    return int((cases["is_closed_unresolved"] & (cases["closed_month"] == month)).sum())


def closed_in(cases: pd.DataFrame, month: date) -> pd.DataFrame:
    return cases[cases["closed_month"] == month]


def v2_closed_same_day(cases: pd.DataFrame, month: date) -> int:
    # V2 numerator: cases closed in the month on the UTC day they were opened.
    rows = closed_in(cases, month)
    return int((rows["closed_at"].dt.date == rows["opened_at"].dt.date).sum())


def v2_same_day_closure_rate(cases: pd.DataFrame, month: date) -> Decimal | None:
    # V2 same-day closure = cases closed the day they were opened / cases closed.
    return ratio(v2_closed_same_day(cases, month), v1_closed(cases, month))


def v2_resolved_same_day(cases: pd.DataFrame, month: date) -> int:
    # V2 on the resolution: resolved in the month on the day they were opened.
    rows = resolved_in(cases, month)
    return int((rows["resolved_at"].dt.date == rows["opened_at"].dt.date).sum())


def v2_same_day_resolution_rate(cases: pd.DataFrame, month: date) -> Decimal | None:
    return ratio(v2_resolved_same_day(cases, month), v3_resolved(cases, month))


def resolution_seconds(cases: pd.DataFrame, month: date) -> list[int]:
    return [int(s) for s in resolved_in(cases, month)["seconds_to_resolution"]]


def v3_hours_mean(cases: pd.DataFrame, month: date) -> Decimal | None:
    # V3 time to resolution: mean hours from open to resolved, cases resolved in the month.
    seconds = resolution_seconds(cases, month)
    return ratio(sum(seconds), len(seconds) * 3600, CENT) if seconds else None


def v3_hours_median(cases: pd.DataFrame, month: date) -> Decimal | None:
    # V3 median hours (mean of the two middle values for an even count).
    seconds = resolution_seconds(cases, month)
    return rounded(Fraction(median(seconds)).limit_denominator(2) / 3600, CENT) if seconds else None


def resolution_due_in(cases: pd.DataFrame, month: date) -> pd.DataFrame:
    """V8 population: resolved cases whose resolution target (opened + the
    priority's hours) fell due in the month, on or before the as-of date.
    Cases closed unresolved are out of the resolution SLA."""
    due_date = cases["resolution_due_at"].dt.date
    return cases[
        cases["is_resolved"] & (cases["resolution_due_month"] == month) & (due_date <= AS_OF)
    ]


def v8_resolution_due(cases: pd.DataFrame, month: date) -> int:
    return len(resolution_due_in(cases, month))


def v8_resolution_met(cases: pd.DataFrame, month: date) -> int:
    # V8: resolved at or before the due moment.
    rows = resolution_due_in(cases, month)
    return int((rows["resolved_at"] <= rows["resolution_due_at"]).sum())


def v8_resolution_rate(cases: pd.DataFrame, month: date) -> Decimal | None:
    # V8 resolution SLA compliance = met / due.
    return ratio(v8_resolution_met(cases, month), v8_resolution_due(cases, month))


def v8_first_response_due(cases: pd.DataFrame, month: date) -> int:
    # V8 first response: the export records none, so no first-response target
    # can be judged (never the resolution in its place).
    return 0


def v8_first_response_rate(cases: pd.DataFrame, month: date) -> Decimal | None:
    return None


def v8_both_due(cases: pd.DataFrame, month: date) -> int:
    # V8 headline (resolved and first-responded within target): nothing can be
    # judged without first responses.
    return 0


def v8_both_rate(cases: pd.DataFrame, month: date) -> Decimal | None:
    return None


def source_sla_cases(cases: pd.DataFrame, month: date) -> int:
    # Beside V8: cases that ended in the month carrying the export's made_sla.
    return int(((cases["ended_month"] == month) & cases["made_sla"].notna()).sum())


def source_sla_met(cases: pd.DataFrame, month: date) -> int:
    return int(((cases["ended_month"] == month) & (cases["made_sla"] == True)).sum())  # noqa: E712


def source_sla_rate(cases: pd.DataFrame, month: date) -> Decimal | None:
    return ratio(source_sla_met(cases, month), source_sla_cases(cases, month))


def business_due_in(cases: pd.DataFrame, month: date) -> pd.DataFrame:
    """B1 population: cases whose business resolution due time fell in the
    month, on or before the as-of date, judged met or missed."""
    due_date = cases["business_resolution_due_at"].dt.date
    return cases[
        cases["business_resolution_sla_status"].isin(["met", "missed"])
        & (cases["business_due_month"] == month)
        & (due_date <= AS_OF)
    ]


def b1_resolution_due(cases: pd.DataFrame, month: date) -> int:
    return len(business_due_in(cases, month))


def b1_resolution_met(cases: pd.DataFrame, month: date) -> int:
    # B1: resolved within the target counted in business hours.
    return int((business_due_in(cases, month)["business_resolution_sla_status"] == "met").sum())


def b1_resolution_rate(cases: pd.DataFrame, month: date) -> Decimal | None:
    return ratio(b1_resolution_met(cases, month), b1_resolution_due(cases, month))


def business_resolution_seconds(cases: pd.DataFrame, month: date) -> list[int]:
    # Cases resolved in the month; a resolution recorded before the opening left out.
    seconds = resolved_in(cases, month)["business_seconds_to_resolution"].dropna()
    return [int(s) for s in seconds]


def b1_hours_mean(cases: pd.DataFrame, month: date) -> Decimal | None:
    seconds = business_resolution_seconds(cases, month)
    return ratio(sum(seconds), len(seconds) * 3600, CENT) if seconds else None


def b1_hours_median(cases: pd.DataFrame, month: date) -> Decimal | None:
    seconds = business_resolution_seconds(cases, month)
    return rounded(Fraction(median(seconds)).limit_denominator(2) / 3600, CENT) if seconds else None


# --------------------------------------------------------------------------- expected figures

#: dimension_name of kpi_service_cases_by_dimension_monthly -> column of CASES.
DIMENSIONS = {"all": "all", "priority": "priority", "channel": "channel"}
EVERY = tuple(DIMENSIONS)

#: (KPI id, mart column, function, dimensions)
SERVICE_KPIS = [
    ("V1", "cases_opened", v1_opened, EVERY),
    ("V1", "cases_closed", v1_closed, EVERY),
    ("V3", "cases_resolved", v3_resolved, EVERY),
    ("V3", "cases_closed_unresolved", closed_unresolved, EVERY),
    ("V3", "cases_resolved_after_reopen", v3_resolved_after_reopen, ("all",)),
    ("V2", "cases_closed_same_day", v2_closed_same_day, EVERY),
    ("V2", "same_day_closure_rate", v2_same_day_closure_rate, EVERY),
    ("V2", "cases_resolved_same_day", v2_resolved_same_day, ("all", "priority")),
    ("V2", "same_day_resolution_rate", v2_same_day_resolution_rate, ("all", "priority")),
    ("V3", "resolution_hours_mean", v3_hours_mean, EVERY),
    ("V3", "resolution_hours_median", v3_hours_median, EVERY),
    ("V8", "resolution_sla_cases_due", v8_resolution_due, ("all", "priority")),
    ("V8", "resolution_sla_cases_met", v8_resolution_met, ("all", "priority")),
    ("V8", "resolution_sla_compliance_rate", v8_resolution_rate, ("all", "priority")),
    ("V8", "first_response_sla_cases_due", v8_first_response_due, ("all",)),
    ("V8", "first_response_sla_compliance_rate", v8_first_response_rate, ("all",)),
    ("V8", "sla_cases_due", v8_both_due, ("all",)),
    ("V8", "sla_compliance_rate", v8_both_rate, ("all",)),
    ("B1", "business_resolution_sla_cases_due", b1_resolution_due, ("all", "priority")),
    ("B1", "business_resolution_sla_cases_met", b1_resolution_met, ("all", "priority")),
    ("B1", "business_resolution_sla_compliance_rate", b1_resolution_rate, ("all", "priority")),
    ("B1", "business_resolution_hours_mean", b1_hours_mean, ("all", "priority")),
    ("B1", "business_resolution_hours_median", b1_hours_median, ("all", "priority")),
    # no first responses in the export: nothing to judge in business hours either
    ("B1", "business_first_response_sla_cases_due", v8_first_response_due, ("all",)),
    ("B1", "business_first_response_sla_compliance_rate", v8_first_response_rate, ("all",)),
    ("B1", "business_sla_cases_due", v8_both_due, ("all",)),
    ("B1", "business_sla_compliance_rate", v8_both_rate, ("all",)),
]

#: The export's own SLA verdict (made_sla), shown beside the computed V8.
SOURCE_SLA_KPIS = [
    ("V8", "source_sla_cases", source_sla_cases),
    ("V8", "source_sla_cases_met", source_sla_met),
    ("V8", "source_sla_met_rate", source_sla_rate),
]


def service_figures(kpis) -> dict[tuple, object]:
    """(kpi, column, dimension, member, month) -> expected value."""
    figures = {}
    for kpi_id, column, compute, dimensions in kpis:
        for dimension in dimensions:
            for member, cases in CASES.groupby(DIMENSIONS[dimension]):
                for month in MONTHS:
                    figures[(kpi_id, column, dimension, member, month)] = compute(cases, month)
    return figures


SERVICE_FIGURES = service_figures(SERVICE_KPIS)
SOURCE_SLA_FIGURES = service_figures([(k, c, f, ("all",)) for k, c, f in SOURCE_SLA_KPIS])


#: Per assigned agent, each figure as an aggregate over fct_cases grouped by
#: owner_rep_id: (KPI, figure) -> (SQL expression, pandas computation).
AGENT_KPIS = {
    ("V1", "cases"): ("count(*)", len),
    ("V3", "cases resolved"): (
        "count(*) filter (where is_resolved)",
        lambda cases: int(cases["is_resolved"].sum()),
    ),
    ("V3", "cases closed unresolved"): (
        "count(*) filter (where is_closed_unresolved)",
        lambda cases: int(cases["is_closed_unresolved"].sum()),
    ),
    # V3 per agent as its exact total: mean hours = total seconds / resolved / 3600.
    ("V3", "seconds to resolution (total)"): (
        "sum(seconds_to_resolution)",
        lambda cases: (
            int(cases["seconds_to_resolution"].sum()) if cases["is_resolved"].any() else None
        ),
    ),
}
NO_AGENT = "(none)"


def agent_figures() -> dict[tuple, object]:
    """(KPI, figure, agent) -> expected value; cases with no agent under NO_AGENT."""
    figures = {}
    for agent, cases in CASES.groupby(CASES["agent"].fillna(NO_AGENT)):
        for (kpi_id, figure), (_, compute) in AGENT_KPIS.items():
            figures[(kpi_id, figure, agent)] = compute(cases)
    return figures


AGENT_FIGURES = agent_figures()

#: Whole-export figures.
TOTALS: dict[tuple, tuple[str, object]] = {
    ("V1", "cases"): ("select count(*) from core.fct_cases", len(CASES)),
    ("V1", "agents (reps)"): (
        # Every agent named anywhere in the log, not only on the latest rows.
        "select count(*) from core.dim_reps",
        len(LOG_AGENTS),
    ),
    ("V3", "cases resolved"): (
        "select count(*) from core.fct_cases where is_resolved",
        int(CASES["is_resolved"].sum()),
    ),
    ("V3", "cases closed unresolved"): (
        "select count(*) from core.fct_cases where is_closed_unresolved",
        int(CASES["is_closed_unresolved"].sum()),
    ),
    ("V3", "closed unresolved in the data-quality marts"): (
        "select coalesce(sum(records_affected), 0) from data_quality.dq_issues"
        " where table_name = 'support_cases' and issue_type ilike '%unresolved%'",
        int(CASES["is_closed_unresolved"].sum()),
    ),
    ("V3", "cases re-opened"): (
        "select count(*) from core.fct_cases where is_reopened",
        int((CASES["reopened_count"] > 0).sum()),
    ),
    ("V3", "re-openings"): (
        "select sum(reopened_count) from core.fct_cases",
        int(CASES["reopened_count"].sum()),
    ),
    ("V8", "cases with a first response"): (
        "select count(*) from core.fct_cases where first_response_at is not null",
        0,
    ),
    ("V8", "cases with a computed SLA verdict"): (
        # No first responses in the export: no case can meet "both targets".
        "select count(*) from core.fct_cases where is_sla_met is not null",
        0,
    ),
}
for _priority, _n in CASES["priority"].value_counts().items():
    TOTALS[("V1", f"cases priority={_priority}")] = (
        f"select count(*) from core.fct_cases where priority = '{_priority}'",
        int(_n),
    )
for _channel, _n in CASES["channel"].value_counts().items():
    TOTALS[("V1", f"cases channel={_channel}")] = (
        f"select count(*) from core.fct_cases where channel = '{_channel}'",
        int(_n),
    )


def _id(key: tuple) -> str:
    *head, month = key
    return "-".join(str(part) for part in head) + f"-{month:%Y-%m}"


# --------------------------------------------------------------------------- the marts


def rows_by_key(imported, sql: str, key_columns: int) -> dict[tuple, dict]:
    """Rows of `sql` (exact values: Decimal, int, None) indexed by their first
    `key_columns` columns."""
    columns = list(imported.frame(f"select * from ({sql}) limit 0").columns)
    return {
        tuple(row[:key_columns]): dict(zip(columns, row, strict=True))
        for row in imported.query(sql)
    }


@pytest.fixture(scope="module")
def marts(tmp_path_factory: pytest.TempPathFactory):
    """The import, built once, and its service marts indexed by key."""
    imported = published(NAME, tmp_path_factory)
    by_dimension = rows_by_key(
        imported,
        "select dimension_name, dimension_value, month_start_date, *"
        " from service.kpi_service_cases_by_dimension_monthly",
        3,
    )
    monthly = rows_by_key(
        imported,
        "select 'all', 'all', month_start_date, * from service.kpi_service_cases_monthly",
        3,
    )
    agents = {}
    for (kpi_id, figure), (expression, _) in AGENT_KPIS.items():
        try:
            rows = imported.query(
                f"select coalesce(owner_rep_id, '{NO_AGENT}'), {expression} from core.fct_cases group by 1"
            )
        except duckdb.Error as error:  # a column the marts lack fails its figures only
            agents[(kpi_id, figure)] = str(error).splitlines()[0]
        else:
            agents[(kpi_id, figure)] = dict(rows)
    return {
        "imported": imported,
        "by_dimension": by_dimension,
        "monthly": monthly,
        "agents": agents,
    }


def exact(value):
    """A mart value as int / Decimal / None; a float would hide rounding."""
    if isinstance(value, float):
        raise AssertionError(f"float in the marts: {value!r}")
    return value


def check(rows: dict, table: str, key: tuple, expected) -> None:
    kpi_id, column, dimension, member, month = key
    where = f"{dimension}={member}, {month:%Y-%m}"
    row = rows.get((dimension, member, month))
    assert row is not None, f"{kpi_id} {column}: {table} has no row for {where}"
    assert column in row, f"{kpi_id} {column}: {table} has no column {column}"
    actual = exact(row[column])
    assert actual == expected, (
        f"{kpi_id} {column} for {where}: expected {expected}, mart has {actual}"
    )


def test_months_and_as_of_date(marts) -> None:
    """The months run from the first incident's (2016-02) to the as-of month,
    that of the latest event in the data (a close on 2017-02-18)."""
    assert sorted(m for (_, _, m) in marts["monthly"]) == MONTHS
    as_of = marts["imported"].query(
        "select max(date_day) from core.dim_dates where not is_after_as_of_date"
    )
    assert as_of == [(AS_OF,)]


@pytest.mark.parametrize("key", sorted(SERVICE_FIGURES), ids=_id)
def test_service_cases_monthly(marts, key) -> None:
    """The 'all' member against kpi_service_cases_monthly, the members of
    priority and channel against kpi_service_cases_by_dimension_monthly."""
    check(
        marts["by_dimension"], "kpi_service_cases_by_dimension_monthly", key, SERVICE_FIGURES[key]
    )
    if key[2] == "all":
        check(marts["monthly"], "kpi_service_cases_monthly", key, SERVICE_FIGURES[key])


@pytest.mark.parametrize("key", sorted(SOURCE_SLA_FIGURES), ids=_id)
def test_source_sla_beside_computed(marts, key) -> None:
    """The export's own made_sla flag, kept in the optional contract column
    sla_met and shown beside the computed SLA (issue #15)."""
    check(marts["monthly"], "kpi_service_cases_monthly", key, SOURCE_SLA_FIGURES[key])


def test_source_sla_per_case(marts) -> None:
    """Every case keeps the export's own verdict (made_sla of its latest row)."""
    expected = {k: bool(v) for k, v in CASES["made_sla"].items()}
    rows = marts["imported"].query("select case_id, is_source_sla_met from core.fct_cases")
    actual = dict(rows)
    differ = {k: (v, actual.get(k)) for k, v in expected.items() if actual.get(k) != v}
    assert not differ, f"made_sla differs on {len(differ)} cases, e.g. {list(differ.items())[:5]}"


#: B1 per case: column of core.fct_case_business_times -> CASES column.
BUSINESS_COLUMNS = {
    "business_seconds_to_resolution": "business_seconds_to_resolution",
    "business_resolution_due_at": "business_resolution_due_at",
    "business_resolution_sla_status": "business_resolution_sla_status",
}


def _case_value(value):
    """One per-case value as the mart holds it: int seconds, naive timestamp, text, None."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if isinstance(value, float):
        return int(value)
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    return value


@pytest.mark.parametrize("column", sorted(BUSINESS_COLUMNS))
def test_business_hours_per_case(marts, column) -> None:
    """B1 for every incident, by the default schedule (the log names no
    teams): the business seconds to resolution, the business due time of the
    resolution target and its status, against fct_case_business_times."""
    rows = marts["imported"].query(
        f"select case_id, schedule_id, {column} from core.fct_case_business_times"
    )
    schedule_id = default_schedule()[0]
    assert {r[1] for r in rows} == {schedule_id}, f"schedules: {sorted({r[1] for r in rows})}"
    actual = {r[0]: r[2] for r in rows}
    expected = {k: _case_value(v) for k, v in CASES[BUSINESS_COLUMNS[column]].items()}
    assert actual.keys() == expected.keys()
    differ = {k: (v, actual[k]) for k, v in expected.items() if actual[k] != v}
    assert not differ, (
        f"{column} differs on {len(differ)} of {len(expected)} cases"
        f" (expected, mart), e.g. {list(differ.items())[:5]}"
    )


def test_years_without_holidays_are_named(marts) -> None:
    """The log runs from 2016 into 2017 and seeds/business_holidays.csv lists
    none of those years' holidays, so their business hours count every
    weekday as working time: dq_business_holiday_years lists each year the
    default schedule measures (the first opening's to the last resolution's or
    business due time's), its cases opened and its holidays listed, and the
    import's summary names the years without any."""
    schedule_id, _, _, holidays = default_schedule()
    measured = [CASES[c] for c in ("opened_at", "resolved_at", "business_resolution_due_at")]
    years = range(CASES["opened_at"].min().year, pd.concat(measured).max().year + 1)
    opened = CASES["opened_at"].dt.year.value_counts()
    expected = []
    for year in years:
        listed = sum(1 for day in holidays if day.year == year)
        expected.append((schedule_id, year, int(opened.get(year, 0)), listed, listed == 0))
    assert any(row[4] for row in expected), "no year without holidays: this test shows nothing"
    rows = marts["imported"].query(
        "select schedule_id, calendar_year, cases_opened, holidays_listed, has_no_holidays_listed"
        " from data_quality.dq_business_holiday_years order by calendar_year"
    )
    assert rows == expected
    report = marts["imported"].report
    named = report.summary.get("years_without_holidays")
    assert named == [f"{s} {y} ({n:,} cases opened)" for s, y, n, _, none in expected if none]
    (line,) = [x for x in warned_lines(report.to_dict()) if "dq_business_holiday_years" in x]
    assert f"({len(named)} rows)" in line, line


@pytest.mark.parametrize("key", sorted(AGENT_FIGURES), ids="-".join)
def test_per_agent(marts, key) -> None:
    kpi_id, figure, agent = key
    per_agent = marts["agents"][(kpi_id, figure)]
    assert isinstance(per_agent, dict), f"{kpi_id} {figure} per agent: {per_agent}"
    actual = exact(per_agent.get(agent, 0 if figure == "cases" else None))
    expected = AGENT_FIGURES[key]
    assert actual == expected, (
        f"{kpi_id} {figure} for agent={agent}: expected {expected}, mart has {actual}"
    )


@pytest.mark.parametrize("key", sorted(TOTALS), ids="-".join)
def test_totals(marts, key) -> None:
    sql, expected = TOTALS[key]
    actual = exact(marts["imported"].query(sql)[0][0])
    assert actual == expected, f"{key[0]} {key[1]}: expected {expected}, mart has {actual}"


#: Sales tables whose every count and amount is unknown without opportunities.
NO_OPPORTUNITY_COLUMNS = {
    "sales.kpi_sales_monthly": (
        "opportunities_won",
        "won_revenue",
        "opportunities_lost",
        "closed_amount",
        "opportunities_created",
        "open_pipeline_opportunities",
        "open_pipeline_amount",
    ),
    "sales.kpi_sales_pipeline_waterfall_monthly": (
        "opening_count",
        "created_count",
        "won_count",
        "won_amount",
        "closing_count",
        "closing_amount",
    ),
}


@pytest.mark.parametrize("table", sorted(NO_OPPORTUNITY_COLUMNS))
def test_sales_unknown_without_opportunities(marts, table) -> None:
    """An incident log has no opportunities: every month of the sales tables
    says so with null counts and amounts, never a plausible 0 (a past bug:
    won revenue 0 and a waterfall of zeros for 13 months)."""
    columns = NO_OPPORTUNITY_COLUMNS[table]
    checks = ", ".join(f"count({c})" for c in columns)
    rows, *counts = marts["imported"].query(f"select count(*), {checks} from {table}")[0]
    assert rows >= len(MONTHS), f"{table}: {rows} rows, fewer than the {len(MONTHS)} months"
    known = {c: n for c, n in zip(columns, counts, strict=True) if n}
    assert not known, f"{table}: values where the export has no opportunities: {known}"


def test_waterfall_says_not_in_this_export(marts) -> None:
    statuses = marts["imported"].query(
        "select distinct data_status from sales.kpi_sales_pipeline_waterfall_monthly"
    )
    assert statuses == [("not in this export",)]
