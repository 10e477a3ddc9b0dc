"""Run dbt through its programmatic runner (dbtRunner), on the warehouse the
settings name. SQL does the data work; this module only calls dbt and
summarises what it did."""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from crm_warehouse.dbt_file_log import FileLog, log_path
from crm_warehouse.privacy import make_private
from crm_warehouse.settings import TELEMETRY_OFF, Settings


@dataclass
class NodeResult:
    """One dbt node's outcome."""

    unique_id: str
    resource_type: str
    status: str
    seconds: float
    message: str | None = None
    failures: int | None = None
    #: schema and table (alias) of a model, seed or snapshot; None for tests
    schema: str | None = None
    table: str | None = None

    @property
    def relation(self) -> str | None:
        """'schema.table' the node wrote, when it wrote one."""
        return f"{self.schema}.{self.table}" if self.schema and self.table else None


@dataclass
class DbtResult:
    """What one dbt command did."""

    command: list[str]
    success: bool
    nodes: list[NodeResult] = field(default_factory=list)
    error: str | None = None
    #: what dbtRunner returned as the result: the parsed Manifest for `dbt parse`
    output: Any = None
    #: nodes that ran out of DuckDB memory and were run again with one dbt
    #: thread (retry_out_of_memory), and how many times that was done
    retried_alone: list[str] = field(default_factory=list)
    retries: int = 0
    #: the Manifest dbt_build ran on, for later dbt commands of the same run
    #: (run_dbt's `manifest`: the docs); None when it was not parsed
    manifest: Any = None

    def counts(self) -> dict[str, int]:
        """Count of nodes by 'resource_type:status', e.g. {'model:success': 80, 'test:pass': 300}."""
        return dict(Counter(f"{n.resource_type}:{n.status}" for n in self.nodes))

    def problems(self) -> list[NodeResult]:
        """Nodes that errored, failed or warned."""
        return [n for n in self.nodes if n.status in ("error", "fail", "warn", "runtime error")]

    def warned_tests(self) -> list[dict[str, Any]]:
        """Data and unit tests that warned, most failing rows first:
        [{'test': name, 'failures': rows or None}] (dbt's run results)."""
        warned = [
            {"test": dbt_test_name(n.unique_id), "failures": n.failures}
            for n in self.nodes
            if n.status == "warn" and n.resource_type in ("test", "unit_test")
        ]
        return sorted(warned, key=lambda w: (-(w["failures"] or 0), w["test"]))

    def to_dict(self) -> dict[str, Any]:
        return {
            "command": self.command,
            "success": self.success,
            "counts": self.counts(),
            "error": self.error,
            "retried_alone": self.retried_alone,
            "retries": self.retries,
            "problems": [
                {"node": n.unique_id, "status": n.status, "message": n.message}
                for n in self.problems()
            ],
        }


def dbt_test_name(unique_id: str) -> str:
    """A test's name from its unique id: 'test.<project>.<name>.<hash>' gives
    <name>, 'unit_test.<project>.<model>.<name>' gives <model>.<name>."""
    kind, _, rest = unique_id.partition(".")
    name = rest.partition(".")[2] or unique_id
    if kind == "test" and "." in name:
        name = name.rsplit(".", 1)[0]
    return name


#: dbt's logs/dbt.log level unless DBT_LOG_LEVEL_FILE says otherwise.
DBT_FILE_LOG_LEVEL = "info"


def file_log_level() -> str:
    """The level of logs/dbt.log: DBT_LOG_LEVEL_FILE, else DBT_FILE_LOG_LEVEL."""
    return os.environ.get("DBT_LOG_LEVEL_FILE") or DBT_FILE_LOG_LEVEL


@contextmanager
def dbt_environment(settings: Settings) -> Iterator[None]:
    """Point dbt at the project's profiles and the settings' DuckDB file for the
    duration of a call, restoring the environment afterwards and closing the
    DuckDB handle dbt-duckdb keeps, so the file can be opened again."""
    wanted = {
        **TELEMETRY_OFF,
        "DBT_PROFILES_DIR": str(settings.root / "profiles"),
        "CRM_DUCKDB_PATH": str(settings.warehouse_path),
        # rows an import's mapping adds to the stage and lead-source seeds
        # (macro extra_seed_rows; absent files give none)
        "CRM_EXTRA_SEED_ROWS_DIR": str(settings.landing_dir / ".seed_rows"),
    }
    # dbt's file log at debug writes every statement of every node, a tenth
    # of a build's CPU; info keeps each node's start, end and error (the SQL
    # is in target/run and target/compiled). DBT_LOG_LEVEL_FILE=debug brings
    # the statements back.
    wanted["DBT_LOG_LEVEL_FILE"] = file_log_level()
    saved = {k: os.environ.get(k) for k in wanted}
    os.environ.update(wanted)
    settings.warehouse_path.parent.mkdir(parents=True, exist_ok=True)
    try:
        yield
    finally:
        release_dbt_duckdb()
        make_private(settings)
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def release_dbt_duckdb() -> None:
    """Close the DuckDB database dbt-duckdb keeps open in this process after a
    dbtRunner call, so the warehouse file can be attached again (DuckDB refuses
    a second handle on a file one process already has open)."""
    try:
        from dbt.adapters.duckdb.connections import DuckDBConnectionManager
    except ImportError:  # pragma: no cover - dbt-duckdb is a dependency
        return
    with DuckDBConnectionManager._LOCK:
        env = DuckDBConnectionManager._ENV
        DuckDBConnectionManager._ENV = None
        if env is not None and hasattr(env, "close"):
            env.close()


#: dbt commands that write manifest.json again and run_results.json when they
#: end. Handed the manifest of `parse` (which wrote manifest.json and
#: semantic_manifest.json of the same project), run_dbt runs them with
#: --no-write-json and writes run_results.json itself: dbt's second
#: manifest.json is about 0.6 s of every build (docs/performance.md), and what
#: it adds (each node's compiled code) is in run_results.json and
#: target/compiled. `dbt retry` is one of them: it repeats the flags of the
#: command it retries, --no-write-json included.
OWN_ARTIFACTS = ("build", "run", "test", "seed", "retry")
#: dbt's results file in the target folder, which `dbt retry` reads.
RUN_RESULTS = "run_results.json"


def run_dbt(
    settings: Settings,
    args: list[str],
    on_node: Callable[[NodeResult], None] | None = None,
    quiet: bool = True,
    manifest: Any = None,
) -> DbtResult:
    """Invoke `dbt <args>` on the settings' warehouse and collect node results.

    on_node is called as each node finishes (for progress displays). manifest,
    a Manifest from `parse` of the same project and environment, spares dbt
    reading, checking and writing its partial-parse file and manifest again
    (dbt's documented way to reuse a parse: dbtRunner(manifest=...)); with
    it, the commands of OWN_ARTIFACTS leave manifest.json as `parse` wrote it
    and run_dbt writes their run_results.json.
    """
    from dbt.cli.main import dbtRunner

    from crm_warehouse import shared_parse

    def callback(event: Any) -> None:
        if on_node is None or event.info.name != "NodeFinished":
            return
        node = event.data.run_result
        on_node(
            NodeResult(
                unique_id=event.data.node_info.unique_id,
                resource_type=event.data.node_info.resource_type,
                status=str(node.status),
                seconds=float(node.execution_time or 0.0),
                message=node.message or None,
            )
        )

    own_artifacts = writes_own_artifacts(settings, args, manifest)
    full = [
        *args[:1],
        *(["--no-write-json"] if own_artifacts else []),
        *args[1:],
        "--project-dir",
        str(settings.root),
        "--target-path",
        str(target_path(settings)),
    ]
    file_log = own_file_log(settings, full)
    if file_log is not None:
        full = ["--log-level-file", "none", *full]
    if quiet:
        # No console log: with --quiet dbt still formats and scrubs every event
        # for the console before dropping it (about 1 s of the 27 s build of a
        # 9,240-row import). Errors come back in the result (the CLI prints
        # them) and in logs/dbt.log.
        full = ["--log-level", "none", *full]
    shared_parse.path_free_profile_hash()
    dbt_vars = shared_parse.vars_of(args)  # each set of vars keeps its own parse
    if manifest is None:
        # dbt parses: from this warehouse's own parse, else the project's kept one
        shared_parse.seed(settings.root, target_path(settings), dbt_vars)
    callbacks = [callback] if file_log is None else [callback, file_log]
    with file_log or nullcontext(), dbt_environment(settings):
        outcome = dbtRunner(manifest=manifest, callbacks=callbacks).invoke(full)
    if manifest is None and outcome.success:
        shared_parse.keep(settings.root, target_path(settings), dbt_vars)
    if own_artifacts and hasattr(outcome.result, "write"):
        outcome.result.write(str(target_path(settings) / RUN_RESULTS))
    result = DbtResult(command=["dbt", *args], success=bool(outcome.success), output=outcome.result)
    if outcome.exception is not None:
        result.error = f"{type(outcome.exception).__name__}: {outcome.exception}"
    result.nodes = node_results(outcome.result)
    return result


def writes_own_artifacts(settings: Settings, args: list[str], manifest: Any) -> bool:
    """Whether run_dbt runs `dbt <args>` with --no-write-json and writes its
    run_results.json: a command of OWN_ARTIFACTS handed a parse's manifest,
    with the manifest.json that parse wrote in the target folder."""
    return (
        manifest is not None
        and bool(args)
        and args[0] in OWN_ARTIFACTS
        and (target_path(settings) / "manifest.json").is_file()
    )


def node_results(output: Any) -> list[NodeResult]:
    """One NodeResult per node of a dbt command's result (none without one)."""
    nodes = []
    for r in getattr(output, "results", None) or []:
        node = getattr(r, "node", None)
        nodes.append(
            NodeResult(
                unique_id=getattr(node, "unique_id", "?"),
                resource_type=str(getattr(node, "resource_type", "?")),
                status=str(r.status),
                seconds=float(r.execution_time or 0.0),
                message=r.message or None,
                failures=r.failures,
                schema=getattr(node, "schema", None),
                table=getattr(node, "alias", None) or getattr(node, "name", None),
            )
        )
    return nodes


def own_file_log(settings: Settings, args: list[str]) -> FileLog | None:
    """The callback writing logs/dbt.log at its level (crm_warehouse.dbt_file_log),
    unless the level is debug (dbt's own logger writes every statement) or none,
    or the call sets the file level itself."""
    level = file_log_level()
    if level not in ("info", "warn", "error") or "--log-level-file" in args:
        return None
    return FileLog(log_path(args, settings.root), level)


def target_path(settings: Settings) -> Path:
    """dbt's target/ for this warehouse: the project's own for the default
    warehouse, a sibling of the DuckDB file for any other (imports, tests)."""
    default = settings.root / "warehouse" / "crm.duckdb"
    if settings.warehouse_path == default:
        return settings.root / "target"
    return settings.warehouse_path.parent / "target"


def parse(settings: Settings) -> DbtResult:
    """`dbt parse`: writes target/manifest.json, semantic_manifest.json and the
    partial-parse file; `output` is the Manifest, for run_dbt's `manifest`."""
    return run_dbt(settings, ["parse"])


def dbt_build(
    settings: Settings,
    extra_args: list[str] | None = None,
    on_node: Callable[[NodeResult], None] | None = None,
    manifest: Any = None,
) -> DbtResult:
    """`dbt build`: seeds, models, snapshots, unit tests and data tests in DAG order.

    The project is parsed once (unless `manifest` is given, from `parse`) and
    that manifest serves every dbt command of the build. When the build runs
    unit tests, incremental models missing from the warehouse are first created
    empty (see create_missing_incremental_models)."""
    if manifest is None:
        parsed = parse(settings)
        if not parsed.success:
            return parsed
        manifest = parsed.output
    if runs_unit_tests(extra_args or []):
        prepared = create_missing_incremental_models(settings, manifest)
        if prepared is not None and not prepared.success:
            return prepared
    result = run_dbt(settings, ["build", *(extra_args or [])], on_node=on_node, manifest=manifest)
    result = retry_out_of_memory(settings, result, on_node, manifest)
    result.manifest = manifest
    return result


#: DuckDB's message when a query needs more than memory_limit and cannot spill.
OUT_OF_MEMORY = "Out of Memory Error"
#: How many times retry_out_of_memory runs such nodes again, at most.
OUT_OF_MEMORY_RETRIES = 2


def retry_out_of_memory(
    settings: Settings,
    result: DbtResult,
    on_node: Callable[[NodeResult], None] | None = None,
    manifest: Any = None,
) -> DbtResult:
    """Run the nodes of a DuckDB build that ran out of memory again, with one
    dbt thread and a fresh DuckDB instance (`dbt retry --threads 1`, which
    also runs what they made dbt skip): up to OUT_OF_MEMORY_RETRIES times,
    and again only when a retry cleared some of them.

    Measured at scale 100 (docs/performance.md): two dbt threads share one
    memory_limit, and two large queries at once exhausted it where each alone
    finished; after the 1 % batch's incremental merges, two data tests ran
    out of memory in the dbt command that ran them with one thread and
    passed in the next."""
    if not _on_duckdb():
        return result
    out_of_memory = out_of_memory_nodes(result)
    for _ in range(OUT_OF_MEMORY_RETRIES):
        if not out_of_memory:
            break
        retried = run_dbt(settings, ["retry", "--threads", "1"], on_node=on_node, manifest=manifest)
        result = after_retry(result, retried, out_of_memory)
        still = out_of_memory_nodes(retried)
        if len(still) >= len(out_of_memory):
            break
        out_of_memory = still
    return result


def out_of_memory_nodes(result: DbtResult) -> list[str]:
    """Nodes of a failed dbt command that ran out of DuckDB memory."""
    if result.success:
        return []
    return [n.unique_id for n in result.nodes if OUT_OF_MEMORY in (n.message or "")]


def after_retry(first: DbtResult, retried: DbtResult, out_of_memory: list[str]) -> DbtResult:
    """The build as a whole after a `dbt retry` of its `out_of_memory` nodes:
    the earlier nodes that were not run again, then the retry's; its success
    and error are the retry's."""
    again = {n.unique_id for n in retried.nodes}
    return DbtResult(
        command=first.command,
        success=retried.success,
        nodes=[n for n in first.nodes if n.unique_id not in again] + retried.nodes,
        error=retried.error,
        output=first.output,
        retried_alone=first.retried_alone
        + [uid for uid in out_of_memory if uid not in first.retried_alone],
        retries=first.retries + 1,
    )


def _on_duckdb() -> bool:
    """dbt builds on the DuckDB target (CRM_DBT_TARGET unset or 'duckdb')."""
    return os.environ.get("CRM_DBT_TARGET", "duckdb") == "duckdb"


def runs_unit_tests(args: list[str]) -> bool:
    """False when the dbt arguments leave unit tests out
    (`--exclude-resource-type unit_test`, or `--resource-type` without it)."""

    def values(flag: str) -> list[str] | None:
        """Every value given after `flag`, over all its occurrences (None: never given)."""
        found: list[str] | None = None
        for i, arg in enumerate(args):
            if arg == flag:
                found = found or []
                for value in args[i + 1 :]:
                    if value.startswith("-"):
                        break
                    found.append(value)
        return found

    excluded = values("--exclude-resource-type") or []
    included = values("--resource-type")
    return "unit_test" not in excluded and (included is None or "unit_test" in included)


def create_missing_incremental_models(settings: Settings, manifest: Any) -> DbtResult | None:
    """Create every incremental model the DuckDB warehouse lacks, empty
    (`dbt run --empty`), so that `dbt build` can run their unit tests in
    incremental mode: dbt reads the columns of `this` from the warehouse before
    the model is built and fails when the table does not exist yet
    (dbt-core#10695; dbt's docs recommend `--empty`). Upstream views and tables
    are created empty too and rebuilt by the build that follows; incremental
    models that exist are left alone. None when nothing is missing or the
    target is not a DuckDB file."""
    if not _on_duckdb():
        return None
    incremental = incremental_models(manifest)
    if not incremental:
        return None
    existing = _existing_tables(settings.warehouse_path)
    missing = [name for name, key in incremental.items() if key not in existing]
    if not missing:
        return None
    present = [name for name in incremental if name not in missing]
    # --no-write-json: the build that follows writes target/'s artifacts
    args = ["run", "--empty", "--no-write-json", "--select", *(f"+{name}" for name in missing)]
    if present:
        args += ["--exclude", *present]
    return run_dbt(settings, args, manifest=manifest)


def incremental_models(manifest: Any) -> dict[str, tuple[str, str]]:
    """Incremental model name -> (schema, table) of the project's manifest."""
    return {
        node.name: (node.schema, node.alias or node.name)
        for node in manifest.nodes.values()
        if node.resource_type == "model" and node.config.materialized == "incremental"
    }


def _existing_tables(warehouse: Path) -> set[tuple[str, str]]:
    """(schema, table) of every table in the DuckDB file; empty when there is no file."""
    if not warehouse.is_file():
        return set()
    import duckdb

    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        rows = con.execute(
            "select table_schema, table_name from information_schema.tables"
        ).fetchall()
    finally:
        con.close()
    return {(str(schema), str(name)) for schema, name in rows}
