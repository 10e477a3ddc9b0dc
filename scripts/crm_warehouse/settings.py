"""Where things live. Every path has a default inside the repository's ignored
folders and an environment variable that points it elsewhere."""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

#: DuckDB's memory limit for every connection the project opens: dbt's (the
#: duckdb target in profiles/profiles.yml has the same default), the loader's,
#: publish's and the benchmark's. Beyond it DuckDB spills to a temporary
#: folder. Measured at scale 10 (about ten million raw rows): dbt build peaks
#: at 1.8 GB resident with it, 7 GB with DuckDB's own default (80 % of the
#: machine's memory). CRM_DUCKDB_MEMORY_LIMIT sets another ('4GB', '80%').
DEFAULT_DUCKDB_MEMORY_LIMIT = "1500MB"


def duckdb_memory_limit() -> str:
    """The memory limit from CRM_DUCKDB_MEMORY_LIMIT, else the default."""
    return os.environ.get("CRM_DUCKDB_MEMORY_LIMIT", "").strip() or DEFAULT_DUCKDB_MEMORY_LIMIT


#: The sane window of every date and timestamp the loader accepts (a value
#: outside it is quarantined: a year typed 2999 or 1900 would stretch the month
#: spine and the as-of date). The as-of date is not known at load time (it is
#: the latest event once everything is loaded), so the window ends
#: DEFAULT_DATE_WINDOW_YEARS_AHEAD years after the day of the load, not after
#: the latest date in the file (which would be the absurd date itself).
#: CRM_DATE_WINDOW_START and CRM_DATE_WINDOW_YEARS_AHEAD, or the load and
#: refresh options --date-window-start and --date-window-years-ahead, set others.
DEFAULT_DATE_WINDOW_START = date(1990, 1, 1)
DEFAULT_DATE_WINDOW_YEARS_AHEAD = 10


@dataclass(frozen=True)
class DateWindow:
    """Dates from `start` to `end`, both included (timestamps: to the end of `end`)."""

    start: date
    end: date

    def __str__(self) -> str:
        return f"{self.start.isoformat()} to {self.end.isoformat()}"


def _add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February into a year without one
        return day.replace(year=day.year + years, day=28)


def date_window(
    start: date | None = None, years_ahead: int | None = None, today: date | None = None
) -> DateWindow:
    """The loader's date window: `start` (else CRM_DATE_WINDOW_START, else
    1990-01-01) to `years_ahead` (else CRM_DATE_WINDOW_YEARS_AHEAD, else 10)
    years after `today` (the load date, UTC)."""
    if start is None:
        text = os.environ.get("CRM_DATE_WINDOW_START", "").strip()
        try:
            start = date.fromisoformat(text) if text else DEFAULT_DATE_WINDOW_START
        except ValueError as exc:
            raise ValueError(
                f"CRM_DATE_WINDOW_START={text!r} is not a date; give one as YYYY-MM-DD"
            ) from exc
    if years_ahead is None:
        text = os.environ.get("CRM_DATE_WINDOW_YEARS_AHEAD", "").strip()
        try:
            years_ahead = int(text) if text else DEFAULT_DATE_WINDOW_YEARS_AHEAD
        except ValueError as exc:
            raise ValueError(
                f"CRM_DATE_WINDOW_YEARS_AHEAD={text!r} is not a whole number of years"
            ) from exc
    if years_ahead < 0:
        raise ValueError(f"the date window's years ahead must be 0 or more, not {years_ahead}")
    if today is None:
        from datetime import UTC, datetime

        today = datetime.now(UTC).date()
    end = _add_years(today, years_ahead)
    if start > end:
        raise ValueError(f"the date window starts on {start} after it ends on {end}")
    return DateWindow(start, end)


def sql_literal(value: str) -> str:
    """`value` as a SQL string literal (single quotes doubled)."""
    return "'" + value.replace("'", "''") + "'"


def sql_list(values: Iterable[object]) -> str:
    """`values` as a SQL list literal of strings (`['a', 'b']`, DuckDB)."""
    return "[" + ", ".join(sql_literal(str(v)) for v in values) + "]"


def sql_identifier(name: str) -> str:
    """`name` as a quoted SQL identifier (double quotes doubled)."""
    return '"' + name.replace('"', '""') + '"'


#: The environment that keeps dbt and Great Expectations from calling home.
TELEMETRY_OFF: dict[str, str] = {
    "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    "GX_ANALYTICS_ENABLED": "false",
    "DO_NOT_TRACK": "1",
}


def disable_telemetry() -> None:
    """Turn dbt's and Great Expectations' usage reporting off for this process
    and its children (set before either library is imported)."""
    os.environ.update(TELEMETRY_OFF)


def mart_schemas(root: Path | None = None) -> tuple[str, ...]:
    """The schemas of the mart folders, in dbt_project.yml's order: every
    `+schema` under `models: crm_warehouse: marts:` (the published ones)."""
    import yaml

    project = yaml.safe_load((root or project_root()).joinpath("dbt_project.yml").read_text())
    marts = project["models"]["crm_warehouse"]["marts"]
    return tuple(
        folder["+schema"]
        for folder in marts.values()
        if isinstance(folder, dict) and "+schema" in folder
    )


def configure_duckdb(con: Any, temp_directory: Path | None = None) -> None:
    """Apply the project's DuckDB settings to a connection: UTC, the memory
    limit and, for an in-memory database, where to spill (DuckDB's default
    for those is `.tmp` in the working directory)."""
    con.execute("set TimeZone = 'UTC'")
    con.execute(f"set memory_limit = {sql_literal(duckdb_memory_limit())}")
    if temp_directory is not None:
        con.execute(f"set temp_directory = {sql_literal(str(temp_directory))}")


def project_root() -> Path:
    """The folder holding dbt_project.yml (the repository root)."""
    env = os.environ.get("CRM_PROJECT_DIR")
    if env:
        return Path(env).resolve()
    here = Path(__file__).resolve()
    for parent in here.parents:
        if (parent / "dbt_project.yml").is_file():
            return parent
    raise RuntimeError("cannot find dbt_project.yml above " + str(here))


@dataclass(frozen=True)
class Settings:
    """Paths of one warehouse: its landing folder, quarantine, DuckDB file and outputs."""

    root: Path
    landing_dir: Path
    quarantine_dir: Path
    warehouse_path: Path
    publish_dir: Path
    #: the loader's date window; None: the environment variable, else the default
    date_window_start: date | None = None
    date_window_years_ahead: int | None = None

    def date_window(self, today: date | None = None) -> DateWindow:
        """The date window of a load on `today` (see `date_window`)."""
        return date_window(self.date_window_start, self.date_window_years_ahead, today)

    @classmethod
    def under(cls, base: Path) -> Settings:
        """Every folder below `base`: landing/, quarantine/, warehouse/crm.duckdb,
        publish/ (environment variables ignored)."""
        home = Path(base).resolve()
        return cls(
            root=project_root(),
            landing_dir=home / "landing",
            quarantine_dir=home / "quarantine",
            warehouse_path=home / "warehouse" / "crm.duckdb",
            publish_dir=home / "publish",
        )

    @classmethod
    def from_env(cls, base: Path | None = None) -> Settings:
        """Defaults below `base` (the repository root when None), overridable by
        CRM_LANDING_DIR, CRM_QUARANTINE_DIR, CRM_DUCKDB_PATH and CRM_PUBLISH_DIR."""
        defaults = cls.under(base or project_root())

        def pick(var: str, default: Path) -> Path:
            value = os.environ.get(var)
            return Path(value).resolve() if value else default

        return cls(
            root=defaults.root,
            landing_dir=pick("CRM_LANDING_DIR", defaults.landing_dir),
            quarantine_dir=pick("CRM_QUARANTINE_DIR", defaults.quarantine_dir),
            warehouse_path=pick("CRM_DUCKDB_PATH", defaults.warehouse_path),
            publish_dir=pick("CRM_PUBLISH_DIR", defaults.publish_dir),
        )
