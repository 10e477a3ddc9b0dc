"""The options several `crm-warehouse` commands share, and the settings they
make: the landing folder, the warehouse file, the publish folder and the
loader's date window, each defaulting to its environment variable."""

from __future__ import annotations

import sys
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from crm_warehouse.settings import Settings

LandingOpt = Annotated[
    Path | None, typer.Option(help="Landing folder (default: landing/ or $CRM_LANDING_DIR).")
]
WarehouseOpt = Annotated[
    Path | None,
    typer.Option(help="DuckDB warehouse file (default: warehouse/crm.duckdb or $CRM_DUCKDB_PATH)."),
]
WindowStartOpt = Annotated[
    str | None,
    typer.Option(
        help="First date (YYYY-MM-DD) a landed date or timestamp may hold; earlier ones are"
        " quarantined (default: 1990-01-01 or $CRM_DATE_WINDOW_START)."
    ),
]
WindowYearsOpt = Annotated[
    int | None,
    typer.Option(
        min=0,
        help="Years after the load date a landed date or timestamp may reach; later ones are"
        " quarantined (default: 10 or $CRM_DATE_WINDOW_YEARS_AHEAD).",
    ),
]
PublishDirOpt = Annotated[
    Path | None,
    typer.Option("--publish-dir", help="Output folder (default: publish/ or $CRM_PUBLISH_DIR)."),
]


def command_settings(landing: Path | None = None, warehouse: Path | None = None) -> Settings:
    """The settings from the environment, with the --landing and --warehouse given."""
    s = Settings.from_env()
    if landing is not None or warehouse is not None:
        s = Settings(
            root=s.root,
            landing_dir=(landing or s.landing_dir).resolve(),
            quarantine_dir=s.quarantine_dir,
            warehouse_path=(warehouse or s.warehouse_path).resolve(),
            publish_dir=s.publish_dir,
        )
    return s


def with_date_window(settings: Settings, start: str | None, years_ahead: int | None) -> Settings:
    """`settings` with the loader's date window from the command line, checked."""
    if start is not None:
        try:
            settings = replace(settings, date_window_start=date.fromisoformat(start))
        except ValueError:
            raise typer.BadParameter(
                f"{start!r} is not a date; give one as YYYY-MM-DD", param_hint="--date-window-start"
            ) from None
    if years_ahead is not None:
        settings = replace(settings, date_window_years_ahead=years_ahead)
    try:
        settings.date_window()
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="the date window") from None
    return settings


def with_publish_dir(settings: Settings, publish_dir: Path | None) -> Settings:
    """`settings` with the --publish-dir given."""
    if publish_dir is None:
        return settings
    return replace(settings, publish_dir=publish_dir.resolve())


def versions() -> str:
    """This package's version and those of dbt-core, dbt-duckdb, DuckDB and Python."""
    import platform
    from importlib.metadata import PackageNotFoundError, version

    def of(name: str) -> str:
        try:
            return version(name)
        except PackageNotFoundError:
            return "not installed"

    return (
        f"crm-warehouse {of('crm-kpi-warehouse')} (dbt-core {of('dbt-core')}, "
        f"dbt-duckdb {of('dbt-duckdb')}, duckdb {of('duckdb')}, "
        f"Python {platform.python_version()})"
    )


def _print_versions(value: bool) -> None:
    if value:
        sys.stdout.write(versions() + "\n")
        raise typer.Exit()


VersionOpt = Annotated[
    bool,
    typer.Option(
        "--version",
        callback=_print_versions,
        is_eager=True,
        help="Print the versions of crm-warehouse, dbt-core, dbt-duckdb and DuckDB, and exit.",
    ),
]
