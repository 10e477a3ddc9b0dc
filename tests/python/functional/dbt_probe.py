"""A small dbt project in a temporary folder, for tests of how crm_warehouse
drives dbt (retries, the shared parse, a generic test) without the project's
200 models: `dbt_project.yml`, a DuckDB profile on `CRM_DUCKDB_PATH`, the
given files, and Settings whose warehouse is `<base>/warehouse/<database>`."""

from __future__ import annotations

from pathlib import Path

from crm_warehouse.settings import Settings

_PROJECT = """
name: {name}
version: "1.0"
profile: {name}
model-paths: [models]
test-paths: [tests]
{extra}"""

_PROFILES = """
{name}:
  target: duckdb
  outputs:
    duckdb:
      type: duckdb
      path: "{{{{ env_var('CRM_DUCKDB_PATH') }}}}"
      threads: {threads}
{settings}"""


def dbt_probe(
    base: Path,
    name: str,
    files: dict[str, str],
    project_extra: str = "",
    threads: int = 1,
    memory_limit: str | None = None,
) -> Path:
    """Write the project under `base`/project; `files` maps paths inside it
    (models/x.sql, tests/generic/y.sql) to their text. Returns its root."""
    root = base / "project"
    (root / "profiles").mkdir(parents=True)
    (root / "dbt_project.yml").write_text(_PROJECT.format(name=name, extra=project_extra))
    limit = f"      settings:\n        memory_limit: {memory_limit}\n" if memory_limit else ""
    (root / "profiles" / "profiles.yml").write_text(
        _PROFILES.format(name=name, threads=threads, settings=limit)
    )
    for path, text in files.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text)
    return root


def probe_settings(root: Path, folder: Path, database: str = "wh.duckdb") -> Settings:
    """Settings of the probe project `root` with every folder under `folder`."""
    return Settings(
        root=root,
        landing_dir=folder / "landing",
        quarantine_dir=folder / "quarantine",
        warehouse_path=folder / "warehouse" / database,
        publish_dir=folder / "publish",
    )
