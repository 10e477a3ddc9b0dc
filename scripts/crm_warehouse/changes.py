"""What changed since the last successful build, and so what a refresh must do.

A refresh records, with its run (ops.refresh_runs, in the run report's
summary as `build_state`), what it built from:

- `project`: a hash of every file dbt reads to build (models, seeds, macros,
  tests, snapshots, analyses, dbt_project.yml, packages and selectors files);
- `environment`: a hash of what changes the build without changing those
  files: profiles.yml, the environment variables the project and profile read
  through env_var(), the rows an import adds to the seeds
  (`<landing>/.seed_rows/`), the dbt arguments of the run and the versions of
  dbt-core and dbt-duckdb;
- `ledger`: how many files the loader had recorded (raw._load_ledger) and
  when the last one finished;
- `published`: size and modification time of the BI file it published.

The next refresh, after loading, compares (`plan`):

- nothing changed: no dbt build, no publish ("up to date");
- only the published file is missing or different: publish again, no build;
- rows landed in some raw tables: build what depends on them
  (`source:crm.<table>+`, and `source:crm_loader+` for the loader's ledger
  and quarantine), computed from the ledger without asking dbt;
- project files changed: `state:modified+` against the manifest the last
  successful build left in `<warehouse folder>/dbt_state/`;
- anything else (no earlier successful run, the last run failed, the
  environment changed, the kept manifest is missing, `--full-refresh`, the
  caller chose its own selection): build everything.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from crm_warehouse.settings import Settings

#: Folder beside the warehouse file keeping the manifest of the last successful build.
STATE_DIR = "dbt_state"

#: Project files dbt reads besides the folders dbt_project.yml names.
_PROJECT_FILES = ("dbt_project.yml", "packages.yml", "dependencies.yml", "selectors.yml")
#: Folders read when dbt_project.yml does not name them (dbt's defaults).
_DEFAULT_PATHS = {
    "model-paths": ["models"],
    "seed-paths": ["seeds"],
    "macro-paths": ["macros"],
    "test-paths": ["tests"],
    "snapshot-paths": ["snapshots"],
    "analysis-paths": ["analyses"],
}
#: Environment variables never hashed: set by crm-warehouse itself for every
#: call (the warehouse path), or secrets.
_IGNORED_VARS = re.compile(r"^CRM_DUCKDB_PATH$|^CRM_EXTRA_SEED_ROWS_DIR$|PASSWORD|SECRET|TOKEN")
_ENV_VAR = re.compile(r"env_var\(\s*['\"]([A-Za-z0-9_]+)['\"]")
#: dbt arguments that choose what to build: a caller giving them builds its own selection.
_SELECTING = ("--select", "-s", "--selector", "--exclude", "--models", "-m", "--resource-type")

UP_TO_DATE = "up to date"
PUBLISH_ONLY = "publish"
BUILD = "build"


@dataclass
class Plan:
    """What a refresh does after loading."""

    action: str  # UP_TO_DATE, PUBLISH_ONLY or BUILD
    #: dbt arguments selecting what to build ([] builds everything)
    select: list[str] = field(default_factory=list)
    #: why, in words, e.g. "rows landed in raw.leads"
    reasons: list[str] = field(default_factory=list)
    #: the last successful run (the one an "up to date" refresh reports)
    last_run_id: str | None = None
    last_finished_at: str | None = None
    #: raw tables that received rows since the last successful build
    changed_tables: list[str] = field(default_factory=list)
    #: the published file is the one the last successful run published
    published_intact: bool = False
    #: the manifest the last successful build kept describes the project as it is
    manifest_current: bool = False

    @property
    def selective(self) -> bool:
        return bool(self.select)

    def to_dict(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "select": self.select,
            "reasons": self.reasons,
            "last_run_id": self.last_run_id,
            "changed_tables": self.changed_tables,
            "published_intact": self.published_intact,
        }


def state_dir(settings: Settings) -> Path:
    """Where the manifest of the last successful build is kept (beside the warehouse)."""
    return settings.warehouse_path.parent / STATE_DIR


#: The files dbt reads in every project folder (Jinja SQL, properties, docs
#: blocks), and those it reads in some (seed CSVs, Python models).
_DBT_SUFFIXES = (".sql", ".yml", ".yaml", ".md")
_MORE_SUFFIXES = {"seed-paths": (".csv",), "model-paths": (".py",)}


def _project_paths(root: Path) -> list[tuple[Path, tuple[str, ...]]]:
    """(file or folder, suffixes read in it) of everything dbt reads to build."""
    import yaml

    try:
        project = yaml.safe_load((root / "dbt_project.yml").read_text()) or {}
    except (OSError, yaml.YAMLError):
        project = {}
    paths = [(root / name, ()) for name in _PROJECT_FILES]
    for key, default in _DEFAULT_PATHS.items():
        suffixes = _DBT_SUFFIXES + _MORE_SUFFIXES.get(key, ())
        paths += [(root / p, suffixes) for p in (project.get(key) or default)]
    return paths


def _hash_files(digest: Any, root: Path, paths: list[tuple[Path, tuple[str, ...]]]) -> list[str]:
    """Feed every file under `paths` (a file, or a folder's files with one of
    the suffixes; name and content, sorted) to `digest`; returns the text of
    the files read (to find their env_var() calls)."""
    texts: list[str] = []
    files: list[Path] = []
    for path, suffixes in paths:
        if path.is_file():
            files.append(path)
        elif path.is_dir():
            files += [
                p
                for p in path.rglob("*")
                if p.suffix in suffixes
                and p.is_file()
                and not any(part.startswith(".") for part in p.relative_to(path).parts)
            ]
    for path in sorted(set(files)):
        data = path.read_bytes()
        digest.update(str(path.relative_to(root) if path.is_relative_to(root) else path).encode())
        digest.update(len(data).to_bytes(8, "little"))
        digest.update(data)
        if path.suffix in (".yml", ".yaml", ".sql", ".md"):
            texts.append(data.decode("utf-8", errors="replace"))
    return texts


def fingerprints(settings: Settings, dbt_args: list[str] | None = None) -> dict[str, str]:
    """{"project": hash, "environment": hash} of what the next build would build from."""
    from importlib.metadata import PackageNotFoundError, version

    project = hashlib.sha256()
    texts = _hash_files(project, settings.root, _project_paths(settings.root))

    env = hashlib.sha256()
    profiles = settings.root / "profiles"
    texts += _hash_files(env, settings.root, [(profiles / "profiles.yml", ())])
    names = sorted({name for text in texts for name in _ENV_VAR.findall(text)})
    for name in names:
        if not _IGNORED_VARS.search(name):
            env.update(f"{name}={os.environ.get(name)}\n".encode())
    seed_rows = settings.landing_dir / ".seed_rows"
    if seed_rows.is_dir():
        _hash_files(env, seed_rows, [(seed_rows, (".csv",))])
    for package in ("dbt-core", "dbt-duckdb"):
        try:
            env.update(f"{package}={version(package)}\n".encode())
        except PackageNotFoundError:
            env.update(f"{package}=none\n".encode())
    env.update(json.dumps(list(dbt_args or [])).encode())
    return {"project": project.hexdigest(), "environment": env.hexdigest()}


def published_stamp(settings: Settings) -> dict[str, int] | None:
    """Size and modification time (ns) of the published BI file; None when absent."""
    from crm_warehouse.serve.publish import MARTS_FILE

    try:
        st = (settings.publish_dir / MARTS_FILE).stat()
    except OSError:
        return None
    return {"size": st.st_size, "mtime_ns": st.st_mtime_ns}


def _ledger(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    try:
        row = con.execute(
            "select count(*), cast(max(finished_at) as varchar) from raw._load_ledger"
        ).fetchone()
    except duckdb.Error:
        return {"files": 0, "until": None}
    return {"files": int(row[0]) if row else 0, "until": row[1] if row else None}


def _landed_since(con: duckdb.DuckDBPyConnection, until: str | None) -> tuple[list[str], bool]:
    """Raw tables that received rows in files the ledger recorded after `until`,
    and whether any file at all was recorded after it (rejected ones included)."""
    since = "true" if until is None else "finished_at > cast(? as timestamp)"
    params = [] if until is None else [until]
    rows = con.execute(
        f"select table_name, sum(rows_loaded), sum(rows_quarantined), count(*)"
        f" from raw._load_ledger where {since} group by 1 order by 1",
        params,
    ).fetchall()
    tables = [str(t) for t, loaded, _, _ in rows if t is not None and (loaded or 0) > 0]
    return tables, bool(rows)


def _last_runs(con: duckdb.DuckDBPyConnection) -> tuple[tuple[Any, ...] | None, Any]:
    """(run_id, status, finished_at, report_json) of the latest run, and of the
    latest successful one (None when there is none)."""
    try:
        latest = con.execute(
            "select run_id, status, cast(finished_at as varchar), report_json"
            " from ops.refresh_runs order by started_at desc limit 1"
        ).fetchone()
        ok = con.execute(
            "select run_id, status, cast(finished_at as varchar), report_json"
            " from ops.refresh_runs where status = 'ok' order by started_at desc limit 1"
        ).fetchone()
    except duckdb.Error:
        return None, None
    return latest, ok


def current_state(
    settings: Settings, dbt_args: list[str] | None = None
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(state of this refresh to record, the plan's inputs read from the warehouse)."""
    state: dict[str, Any] = dict(fingerprints(settings, dbt_args))
    inputs: dict[str, Any] = {"latest": None, "ok": None, "con": None}
    if settings.warehouse_path.is_file():
        con = duckdb.connect(str(settings.warehouse_path), read_only=True)
        state["ledger"] = _ledger(con)
        inputs["latest"], inputs["ok"] = _last_runs(con)
        inputs["con"] = con
    else:
        state["ledger"] = {"files": 0, "until": None}
    return state, inputs


def plan(
    settings: Settings,
    dbt_args: list[str] | None = None,
    full_refresh: bool = False,
) -> tuple[Plan, dict[str, Any]]:
    """What this refresh must do, and the state to record with it once it has
    built (`record_build_state`)."""
    state, inputs = current_state(settings, dbt_args)
    con = inputs.pop("con")
    try:
        return _decide(settings, state, inputs, dbt_args or [], full_refresh, con), state
    finally:
        if con is not None:
            con.close()


def _decide(
    settings: Settings,
    state: dict[str, Any],
    inputs: dict[str, Any],
    dbt_args: list[str],
    full_refresh: bool,
    con: duckdb.DuckDBPyConnection | None,
) -> Plan:
    latest, ok = inputs["latest"], inputs["ok"]
    everything = Plan(BUILD)
    if ok is not None:
        everything.last_run_id, everything.last_finished_at = ok[0], ok[2]
    if full_refresh:
        everything.reasons.append("--full-refresh")
        return everything
    if any(a in _SELECTING or a.split("=")[0] in _SELECTING for a in dbt_args):
        everything.reasons.append("the caller's own dbt selection")
        return everything
    if latest is None or ok is None or con is None:
        everything.reasons.append("no earlier successful refresh of this warehouse")
        return everything
    if latest[1] != "ok":
        everything.reasons.append(f"the last refresh ({latest[0]}) {latest[1]}")
        return everything
    before = _recorded_state(ok[3])
    if before is None:
        everything.reasons.append(f"run {ok[0]} recorded no build state")
        return everything
    if before.get("environment") != state["environment"]:
        everything.reasons.append("profile, environment, seed rows, dbt version or options changed")
        return everything
    return _selection(settings, state, before, everything, con)


def _selection(
    settings: Settings,
    state: dict[str, Any],
    before: dict[str, Any],
    everything: Plan,
    con: duckdb.DuckDBPyConnection,
) -> Plan:
    chosen = Plan(BUILD, last_run_id=everything.last_run_id)
    chosen.last_finished_at = everything.last_finished_at
    ledger_before = before.get("ledger") or {}
    ledger_now = state["ledger"]
    if ledger_now != ledger_before:
        if ledger_now.get("files", 0) < ledger_before.get("files", 0):
            everything.reasons.append("the loader's ledger lost files since the last build")
            return everything
        tables, any_file = _landed_since(con, ledger_before.get("until"))
        if not any_file:
            everything.reasons.append("the loader's ledger changed without a newer file")
            return everything
        chosen.changed_tables = tables
        chosen.select += [f"source:crm.{t}+" for t in tables]
        chosen.select.append("source:crm_loader+")
        chosen.reasons.append(
            "rows landed in " + (", ".join(f"raw.{t}" for t in tables) or "no raw table")
        )
    if before.get("project") != state["project"]:
        if not (state_dir(settings) / "manifest.json").is_file():
            everything.reasons.append("project files changed and no manifest was kept")
            return everything
        chosen.select.append("state:modified+")
        chosen.reasons.append("project files changed")
    intact = before.get("published") == published_stamp(settings)
    chosen.manifest_current = (
        before.get("project") == state["project"]
        and (state_dir(settings) / "manifest.json").is_file()
    )
    if chosen.select:
        chosen.published_intact = intact
        return chosen
    if not intact:
        return Plan(
            PUBLISH_ONLY,
            reasons=["the published file is missing or not the one the last run published"],
            last_run_id=chosen.last_run_id,
            last_finished_at=chosen.last_finished_at,
        )
    return Plan(
        UP_TO_DATE,
        reasons=["nothing landed and nothing changed"],
        last_run_id=chosen.last_run_id,
        last_finished_at=chosen.last_finished_at,
    )


def _recorded_state(report_json: str | None) -> dict[str, Any] | None:
    try:
        state = json.loads(report_json or "{}").get("summary", {}).get("build_state")
    except ValueError:
        return None
    return state if isinstance(state, dict) else None


def dbt_selection_args(settings: Settings, chosen: Plan) -> list[str]:
    """The dbt build arguments of a selective plan ([] builds everything)."""
    if not chosen.select:
        return []
    args = ["--select", *chosen.select]
    if "state:modified+" in chosen.select:
        # a changed model may be incremental: run the changed code over all its
        # rows, never merged into rows the old code wrote
        args += ["--state", str(state_dir(settings)), "--full-refresh"]
    return args


def keep_manifest(settings: Settings) -> None:
    """Keep the manifest of a successful build as the state the next build compares with."""
    from crm_warehouse.build import target_path

    manifest = target_path(settings) / "manifest.json"
    if not manifest.is_file():
        return
    folder = state_dir(settings)
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f".manifest.json.tmp-{os.getpid()}"
    shutil.copyfile(manifest, tmp)
    os.replace(tmp, folder / "manifest.json")
