"""MetricFlow on this project's DuckDB warehouse with nothing but the local files.

The `mf` CLI of dbt-metricflow asks PyPI for a newer version on every command
(`update_checker.UpdateChecker.check` in `dbt_metricflow.cli.main.cli`). A
`session` replaces that check by one that answers "no update" without a
network call, points dbt at the project, its profiles and the settings'
warehouse, reads the semantic manifest from the warehouse's own dbt target
folder (MetricFlow would look in `<project>/target` only), and restores all of
it - the check, the environment, the signal handlers `mf` installs, the DuckDB
handle - when it ends.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from crm_warehouse.settings import Settings

SEMANTIC_MANIFEST = "semantic_manifest.json"


def _no_update(self: Any, package_name: str, package_version: str) -> None:
    """UpdateChecker.check without PyPI: never an update (and no socket)."""
    return None


def semantic_manifest_path(settings: Settings) -> Path:
    """The semantic manifest dbt writes for this warehouse (parse or build)."""
    from crm_warehouse.build import target_path

    return target_path(settings) / SEMANTIC_MANIFEST


def _stale(path: Path, root: Path) -> bool:
    """True when `path` is missing or older than a YAML file of the project's models."""
    if not path.is_file():
        return True
    written = path.stat().st_mtime
    return any(p.stat().st_mtime > written for p in (root / "models").rglob("*.yml"))


def ensure_semantic_manifest(settings: Settings) -> Path:
    """The semantic manifest, written by `dbt parse` first when it is missing or
    older than a YAML file under models/ (an edited metric is read, not last build's)."""
    from crm_warehouse.build import run_dbt

    path = semantic_manifest_path(settings)
    if _stale(path, settings.root):
        result = run_dbt(settings, ["parse"])
        if not result.success or not path.is_file():
            raise RuntimeError(
                f"dbt parse did not write {path}: {result.error or 'see logs/dbt.log'}"
            )
    return path


@dataclass
class MetricFlowSession:
    """An open MetricFlow configuration: `config.mf` is the engine, `config.sql_client`
    the warehouse connection (through dbt-duckdb)."""

    settings: Settings
    config: Any  # dbt_metricflow.cli.cli_configuration.CLIConfiguration

    @property
    def engine(self) -> Any:
        return self.config.mf


@contextmanager
def offline_patches(manifest: Path) -> Iterator[None]:
    """For the block: no PyPI update check, the semantic manifest read from
    `manifest`, and mf's signal handlers undone afterwards."""
    import update_checker
    from dbt_metricflow.cli.dbt_connectors.dbt_config_accessor import dbtArtifacts
    from metricflow_semantics.model.dbt_manifest_parser import (
        parse_manifest_from_dbt_generated_manifest,
    )

    def read_manifest(project_root: Path) -> Any:
        return parse_manifest_from_dbt_generated_manifest(manifest_json_string=manifest.read_text())

    saved_check = update_checker.UpdateChecker.__dict__["check"]
    saved_read = dbtArtifacts.__dict__["build_semantic_manifest_from_dbt_project_root"]
    saved_signals = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    update_checker.UpdateChecker.check = _no_update
    dbtArtifacts.build_semantic_manifest_from_dbt_project_root = staticmethod(read_manifest)
    try:
        yield
    finally:
        update_checker.UpdateChecker.check = saved_check
        dbtArtifacts.build_semantic_manifest_from_dbt_project_root = saved_read
        for sig, handler in saved_signals.items():
            if handler is not None:
                signal.signal(sig, handler)


@contextmanager
def session(settings: Settings, log_to_file: bool = False) -> Iterator[MetricFlowSession]:
    """MetricFlow on `settings`' warehouse, offline, for the duration of the block.

    log_to_file: let MetricFlow send its log to <project>/logs/metricflow.log
    (what `mf` does; it reconfigures the root logger, so the Python API leaves it off).
    """
    from dbt_metricflow.cli.cli_configuration import CLIConfiguration

    from crm_warehouse.build import dbt_environment

    manifest = ensure_semantic_manifest(settings)
    saved_project_dir = os.environ.get("DBT_PROJECT_DIR")
    os.environ["DBT_PROJECT_DIR"] = str(settings.root)
    try:
        with offline_patches(manifest), dbt_environment(settings):
            config = CLIConfiguration()
            config.setup(
                dbt_profiles_path=settings.root / "profiles",
                dbt_project_path=settings.root,
                configure_file_logging=log_to_file,
            )
            try:
                yield MetricFlowSession(settings=settings, config=config)
            finally:
                if config._sql_client is not None:
                    config.sql_client.close()
    finally:
        if saved_project_dir is None:
            os.environ.pop("DBT_PROJECT_DIR", None)
        else:
            os.environ["DBT_PROJECT_DIR"] = saved_project_dir


def _exit_code(exc: SystemExit) -> int:
    """sys.exit()'s code as a process would see it: None is 0, a message is 1."""
    if exc.code is None:
        return 0
    return exc.code if isinstance(exc.code, int) else 1


def invoke(mf: MetricFlowSession, args: Sequence[str]) -> int:
    """Run one `mf <args>` command in an open session; its exit code."""
    import click
    from dbt_metricflow.cli.main import cli

    try:
        cli.main(args=list(args), prog_name="mf", obj=mf.config, standalone_mode=False)
    except SystemExit as exc:
        return _exit_code(exc)
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except click.exceptions.Abort:
        return 1
    return 0


def run_mf(settings: Settings, args: Sequence[str]) -> int:
    """`mf <args>` on `settings`' warehouse without a network call; its exit code."""
    if not args or args[0] in ("-h", "--help", "help"):
        from dbt_metricflow.cli.main import cli

        with offline_patches(semantic_manifest_path(settings)):
            try:
                cli.main(args=["--help"], prog_name="mf", standalone_mode=False)
            except SystemExit as exc:
                return _exit_code(exc)
        return 0
    with session(settings, log_to_file=True) as mf:
        return invoke(mf, args)
