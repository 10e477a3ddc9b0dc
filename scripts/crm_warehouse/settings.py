"""Where things live. Every path has a default inside the repository's ignored
folders and an environment variable that points it elsewhere."""

from __future__ import annotations

import os
from dataclasses import dataclass
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


def sql_literal(value: str) -> str:
    """`value` as a SQL string literal (single quotes doubled)."""
    return "'" + value.replace("'", "''") + "'"


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
