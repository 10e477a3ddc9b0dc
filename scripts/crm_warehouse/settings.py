"""Where things live. Every path has a default inside the repository's ignored
folders and an environment variable that points it elsewhere."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


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
    def from_env(cls, base: Path | None = None) -> Settings:
        """Defaults below `base` (the repository root when None), overridable by
        CRM_LANDING_DIR, CRM_QUARANTINE_DIR, CRM_DUCKDB_PATH and CRM_PUBLISH_DIR."""
        root = project_root()
        home = (base or root).resolve()

        def pick(var: str, default: Path) -> Path:
            value = os.environ.get(var)
            return Path(value).resolve() if value else default

        return cls(
            root=root,
            landing_dir=pick("CRM_LANDING_DIR", home / "landing"),
            quarantine_dir=pick("CRM_QUARANTINE_DIR", home / "quarantine"),
            warehouse_path=pick("CRM_DUCKDB_PATH", home / "warehouse" / "crm.duckdb"),
            publish_dir=pick("CRM_PUBLISH_DIR", home / "publish"),
        )
