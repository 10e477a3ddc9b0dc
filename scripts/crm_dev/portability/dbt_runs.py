"""dbt on each engine of the portability check: the command line of one
engine, its run in a child process (DuckDB, PostgreSQL) or in this one
(Spark), and what its run_results.json says."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from crm_warehouse.settings import Settings


@dataclass
class EngineRun:
    """What `dbt build` did on one engine (read from its run_results.json)."""

    engine: str
    seconds: float = 0.0
    success: bool = False
    counts: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    error: str | None = None

    def summary(self) -> str:
        counts = ", ".join(f"{k} {v}" for k, v in sorted(self.counts.items()))
        state = "ok" if self.success else "FAILED"
        return f"[{self.engine}] dbt build {state} in {self.seconds:.0f} s: {counts}"


def summarize_run_results(engine: str, path: Path, seconds: float) -> EngineRun:
    """Counts by 'resource_type:status' and one line per error or failure
    (warnings are the project's own severity choice and do not fail)."""
    run = EngineRun(engine, seconds=seconds)
    if not path.is_file():
        run.error = f"no {path.name}: dbt did not run (see the log beside it)"
        return run
    results = json.loads(path.read_text()).get("results", [])
    for result in results:
        kind = result["unique_id"].split(".", 1)[0]
        status = str(result.get("status"))
        run.counts[f"{kind}:{status}"] = run.counts.get(f"{kind}:{status}", 0) + 1
        if status in ("error", "fail", "runtime error"):
            message = (result.get("message") or "").strip().splitlines()
            run.problems.append(
                f"{status}: {result['unique_id']}: {message[0][:300] if message else ''}"
            )
    run.success = not run.problems and bool(results)
    return run


def dbt_command(
    engine: str,
    settings: Settings,
    target_path: Path,
    threads: int,
    command: str = "build",
    extra: Sequence[str] = (),
) -> list[str]:
    """The `dbt <command>` line of one engine (its own target and log paths)."""
    dbt = Path(sys.executable).with_name("dbt")
    return [
        str(dbt) if dbt.exists() else "dbt",
        command,
        "--target",
        engine,
        "--threads",
        str(threads),
        "--project-dir",
        str(settings.root),
        "--profiles-dir",
        str(settings.root / "profiles"),
        "--target-path",
        str(target_path),
        "--log-path",
        str(target_path.parent / "logs"),
        "--quiet",
        *extra,
    ]


def sample_data_tests(manifest_path: Path) -> list[str]:
    """One data test per generic test (the first by name, preferring one on
    a mart) and every singular test: enough to show that each test's SQL
    compiles and runs on an engine whose data is proven equal by the mart
    comparison."""
    nodes = json.loads(manifest_path.read_text())["nodes"]
    chosen: dict[str, tuple[bool, str]] = {}
    singular: list[str] = []
    for node in nodes.values():
        if node.get("resource_type") != "test":
            continue
        meta = node.get("test_metadata")
        if not meta:
            singular.append(node["name"])
            continue
        attached = nodes.get(node.get("attached_node") or "", {})
        on_mart = str(attached.get("original_file_path", "")).startswith("models/marts/")
        rank = (not on_mart, node["name"])
        key = f"{meta.get('namespace') or ''}.{meta['name']}"
        if key not in chosen or rank < chosen[key]:
            chosen[key] = rank
    return sorted([name for _, name in chosen.values()] + singular)


def merge_runs(first: EngineRun, second: EngineRun) -> EngineRun:
    """One engine's result of two dbt invocations."""
    merged = EngineRun(first.engine, seconds=first.seconds + second.seconds)
    for counts in (first.counts, second.counts):
        for key, value in counts.items():
            merged.counts[key] = merged.counts.get(key, 0) + value
    merged.problems = first.problems + second.problems
    merged.error = first.error or second.error
    merged.success = first.success and second.success
    return merged


#: After the full build, the incremental models run once more, incrementally
#: (no new rows arrived): their strategy's SQL runs on every engine and the
#: marts must still match.
INCREMENTAL_SELECT = ["--select", "config.materialized:incremental"]


class SubprocessBuild:
    """dbt commands of one engine, one after the other in a child process each
    (a thread waits for them), their output in one log file."""

    def __init__(self, engine: str, cmds: list[list[str]], env: dict[str, str], log: Path) -> None:
        self.engine = engine
        self.cmds = cmds
        self.env = env
        log.parent.mkdir(parents=True, exist_ok=True)
        self.log = log
        self.started = time.perf_counter()
        self.runs: list[EngineRun] = []
        self.proc: subprocess.Popen[bytes] | None = None
        self._waiter = threading.Thread(target=self._run_all, daemon=True)
        self._waiter.start()

    def _run_all(self) -> None:
        with self.log.open("w") as handle:
            for cmd in self.cmds:
                started = time.perf_counter()
                target_path = Path(cmd[cmd.index("--target-path") + 1])
                self.proc = subprocess.Popen(
                    cmd, env=self.env, stdout=handle, stderr=subprocess.STDOUT
                )
                code = self.proc.wait()
                run = summarize_run_results(
                    self.engine, target_path / "run_results.json", time.perf_counter() - started
                )
                if code not in (0, 1) and run.error is None:
                    run.error = f"dbt exited with {code}; see {self.log}"
                    run.success = False
                self.runs.append(run)
                if not run.success:
                    break

    def wait(self) -> EngineRun:
        self._waiter.join()
        merged = self.runs[0] if self.runs else EngineRun(self.engine, error="dbt did not start")
        for run in self.runs[1:]:
            merged = merge_runs(merged, relabel(run, "incremental "))
        return merged

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()


def relabel(run: EngineRun, prefix: str) -> EngineRun:
    """The same result with its counts named as a second pass (e.g. 'incremental model:success')."""
    return EngineRun(
        run.engine,
        run.seconds,
        run.success,
        {prefix + key: value for key, value in run.counts.items()},
        run.problems,
        run.error,
    )


def build_in_process(
    engine: str,
    settings: Settings,
    target_path: Path,
    threads: int,
    command: str = "build",
    extra: Sequence[str] = (),
) -> EngineRun:
    """`dbt <command>` in this process (Spark: dbt's session method then uses
    the SparkSession started here)."""
    from dbt.cli.main import dbtRunner

    started = time.perf_counter()
    cmd = dbt_command(engine, settings, target_path, threads, command, extra)
    outcome = dbtRunner().invoke(cmd[1:])
    run = summarize_run_results(
        engine, target_path / "run_results.json", time.perf_counter() - started
    )
    if outcome.exception is not None and run.error is None:
        run.error = f"{type(outcome.exception).__name__}: {outcome.exception}"
        run.success = False
    return run


def report_build(run: EngineRun, echo: Callable[[str], None], limit: int = 40) -> None:
    echo(run.summary())
    for line in run.problems[:limit]:
        echo(f"[{run.engine}]   {line}")
    if len(run.problems) > limit:
        echo(f"[{run.engine}]   ... and {len(run.problems) - limit} more")
    if run.error:
        echo(f"[{run.engine}]   {run.error}")
