"""The benchmark's run: every measurement at one or more scales of the demo
data, on the same machine and in one run (see crm_dev.bench).

    from crm_dev.bench.runner import run_bench
    results = run_bench([1, 10], workdir=Path("bench/work"))
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from crm_dev.bench.import_export import measure_import
from crm_dev.bench.refresh import NIGHTLY_VARS, measure_refresh
from crm_dev.bench.report import check_targets, machine
from crm_dev.bench.steps import Log, StepOutcome, run_step

#: The export batch held back for the incremental refresh (the generator makes
#: its last batch about 1 % of the rows for this).
INCREMENTAL_BATCH = "b08"


#: The marts holding the KPIs the pandas peer computes.
PEER_MARTS = ("kpi_sales_monthly", "kpi_marketing_leads_monthly", "kpi_service_cases_monthly")


def _scale_name(scale: float) -> str:
    return f"s{scale:g}"


# --------------------------------------------------------------------------- data set


def ensure_source(source: Path, scale: float, seed: int, log: Log) -> dict[str, Any]:
    """The generated demo files of (scale, seed) in `source`, generated unless
    already there; returns the generation report."""
    from crm_warehouse.generate import REPORT_NAME

    report_path = source / REPORT_NAME
    if report_path.is_file():
        report = json.loads(report_path.read_text())
        if report.get("scale") == float(scale) and report.get("seed") == seed:
            log(f"  reusing generated data in {source}")
            return report
    log(f"  generating scale {scale:g} (seed {seed}) into {source} (not counted) ...")
    step = run_step(
        "generate",
        {"source": str(source), "scale": scale, "seed": seed},
        "generate demo data (not counted)",
        log,
    )
    report = step.details["report"]
    # measured when it ran (the scale-100 row of the table shows it), not stored in the file
    report["bench_generate"] = {
        "seconds": round(step.seconds, 2),
        "cpu_s": round(step.cpu_s, 2),
        "peak_rss_mb": round(step.peak_rss_mb),
    }
    return report


def stage_landing(source: Path, landing: Path, include_last: bool) -> int:
    """Hard-link (copy across file systems) the generated files into `landing`,
    holding back the last batch unless include_last; returns the files linked."""
    count = 0
    for table_dir in sorted(p for p in source.iterdir() if p.is_dir()):
        for f in sorted(table_dir.iterdir()):
            if not include_last and f"__{INCREMENTAL_BATCH}_" in f.name:
                continue
            dest = landing / table_dir.name / f.name
            if dest.exists():
                continue
            dest.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.link(f, dest)
            except OSError:
                shutil.copy2(f, dest)
            count += 1
    return count


def _fresh(path: Path) -> Path:
    if path.exists():
        shutil.rmtree(path)
    path.mkdir(parents=True)
    return path


# --------------------------------------------------------------------------- raw SQL


def model_statements(target_dir: Path, upstream_of: tuple[str, ...] = ()) -> list[list[str]]:
    """(model, DDL) pairs in dependency order from a `dbt run`'s run_results.json
    (compiled code, relation) and manifest.json (materialization, dependencies);
    with upstream_of, only those models and what they are built from."""
    manifest = json.loads((target_dir / "manifest.json").read_text())
    run_results = json.loads((target_dir / "run_results.json").read_text())
    compiled: dict[str, tuple[str, str]] = {}
    for r in run_results["results"]:
        uid = r["unique_id"]
        if uid.startswith("model.") and r.get("compiled_code") and r.get("relation_name"):
            compiled[uid] = (r["compiled_code"], r["relation_name"])
    nodes = manifest["nodes"]
    order: list[str] = []
    seen: set[str] = set()

    def visit(uid: str) -> None:
        if uid in seen:
            return
        seen.add(uid)
        for dep in sorted(nodes.get(uid, {}).get("depends_on", {}).get("nodes", [])):
            if dep in compiled:
                visit(dep)
        order.append(uid)

    wanted = sorted(compiled)
    if upstream_of:
        wanted = [uid for uid in wanted if uid.split(".")[-1] in upstream_of]
    for uid in wanted:
        visit(uid)
    statements = []
    for uid in order:
        sql, relation = compiled[uid]
        materialized = nodes[uid]["config"].get("materialized", "table")
        kind = "view" if materialized == "view" else "table"
        schema = relation.rsplit(".", 1)[0]
        statements.append(
            [
                uid.split(".")[-1],
                f"create schema if not exists {schema};\n"
                f"create or replace {kind} {relation} as (\n{sql}\n)",
            ]
        )
    return statements


# --------------------------------------------------------------------------- one scale


class BenchStepFailed(RuntimeError):
    """A dbt step of the benchmark failed: its figures would mean nothing."""


@dataclass
class _Steps:
    """The steps of one scale, in the order they ran (peak RSS and load are
    taken over all of them)."""

    log: Log
    done: list[StepOutcome] = field(default_factory=list)

    def run(self, name: str, args: dict[str, Any], label: str) -> StepOutcome:
        outcome = run_step(name, args, label, self.log)
        self.done.append(outcome)
        return outcome

    def load(self, home: Path, landing: Path, label: str) -> StepOutcome:
        return self.run("load", {"home": str(home), "landing": str(landing)}, label)

    def publish(self, home: Path, landing: Path, label: str) -> StepOutcome:
        return self.run("publish", {"home": str(home), "landing": str(landing)}, label)

    def dbt(self, home: Path, landing: Path, dbt_args: list[str], label: str) -> StepOutcome:
        outcome = self.run(
            "dbt", {"home": str(home), "landing": str(landing), "dbt_args": dbt_args}, label
        )
        if not outcome.details.get("success"):
            # the time of a build that failed measures nothing: stop, naming why
            problems = "\n".join(outcome.details.get("problems") or [])
            raise BenchStepFailed(
                f"{label} did not succeed: {outcome.details.get('error')}\n{problems}"
            )
        return outcome


@dataclass
class _FullRun:
    """The floor's read, a full refresh of a fresh warehouse, and dbt run
    against the same compiled SQL run directly."""

    read: StepOutcome
    parse: StepOutcome
    load: StepOutcome
    build: StepOutcome
    publish: StepOutcome
    run: StepOutcome
    raw_sql: StepOutcome
    kpi_sql: StepOutcome


@dataclass
class _IncrementalRun:
    """The refresh after the last batch lands on a warehouse refreshed without it."""

    load: StepOutcome
    build: StepOutcome
    publish: StepOutcome
    new_files: int


@dataclass
class _PeerRun:
    """Each peer run (none with pandas=False): wall and CPU seconds and its check
    against the marts; the peers whose library is not installed."""

    seconds: dict[str, float] = field(default_factory=dict)
    cpu_s: dict[str, float] = field(default_factory=dict)
    check: dict[str, Any] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)

    def fastest(self) -> str | None:
        return min(self.seconds, key=lambda p: self.seconds[p]) if self.seconds else None


def _measure_full(steps: _Steps, source: Path, base: Path) -> _FullRun:
    # 1. the floor's read: DuckDB alone, every landed file once
    read = steps.run(
        "read",
        {"landing": str(source), "database": str(base / "plain_read.duckdb")},
        "floor: DuckDB reads every file",
    )
    (base / "plain_read.duckdb").unlink(missing_ok=True)

    # 2. a full refresh of a fresh warehouse on every batch
    full = _fresh(base / "full")
    landing = full / "landing"
    stage_landing(source, landing, include_last=True)
    parse = steps.dbt(full, landing, ["parse"], "dbt parse (warm-up, not counted)")
    load = steps.load(full, landing, "full: load + validate")
    build = steps.dbt(full, landing, ["build", "--full-refresh"], "full: dbt build --full-refresh")
    publish = steps.publish(full, landing, "full: publish")

    # 3. dbt run on the same data, then the same compiled SQL directly
    run = steps.dbt(full, landing, ["run", "--full-refresh"], "dbt run --full-refresh")
    raw_dir = _fresh(base / "raw_sql")
    raw_db = raw_dir / "wh.duckdb"  # same file name: the same catalog name in the SQL
    shutil.copy2(full / "wh.duckdb", raw_db)
    raw_sql = steps.run(
        "raw_sql",
        {"database": str(raw_db), "statements": model_statements(full / "target")},
        "compiled SQL run directly",
    )
    # the same for the models the pandas peer's KPIs need, and nothing else
    shutil.copy2(full / "wh.duckdb", raw_db)
    kpi_sql = steps.run(
        "raw_sql",
        {"database": str(raw_db), "statements": model_statements(full / "target", PEER_MARTS)},
        "compiled SQL of the peer's KPIs",
    )
    shutil.rmtree(raw_dir)
    return _FullRun(read, parse, load, build, publish, run, raw_sql, kpi_sql)


def _measure_incremental(steps: _Steps, source: Path, base: Path) -> _IncrementalRun:
    # 4. incremental: a warehouse refreshed without the last batch, then the batch lands
    incr = _fresh(base / "incremental")
    landing = incr / "landing"
    stage_landing(source, landing, include_last=False)
    # the same vars on every dbt call: no reparse counted in the incremental build
    steps.dbt(incr, landing, ["parse", *NIGHTLY_VARS], "incremental: dbt parse (warm-up)")
    steps.load(incr, landing, "incremental: base load")
    steps.dbt(incr, landing, ["build", "--full-refresh", *NIGHTLY_VARS], "incremental: base build")
    steps.publish(incr, landing, "incremental: base publish")
    new_files = stage_landing(source, landing, include_last=True)
    load = steps.load(incr, landing, "incremental: load new batch")
    build = steps.dbt(incr, landing, ["build", *NIGHTLY_VARS], "incremental: dbt build")
    publish = steps.publish(incr, landing, "incremental: publish")
    return _IncrementalRun(load, build, publish, new_files)


def _measure_peers(steps: _Steps, source: Path, base: Path) -> _PeerRun:
    # 5. the peers, each checked row for row against the marts of the full refresh
    from crm_dev.bench.pandas_peer import compare_with_marts
    from crm_dev.bench.peers import PEERS, available, require_equal

    run = _PeerRun()
    for peer in PEERS:
        if not available(peer):
            steps.log(f"  {peer} peer: {peer} is not installed, not run")
            run.missing.append(peer)
            continue
        with tempfile.TemporaryDirectory(prefix=f"crm-bench-{peer}-") as out:
            outcome = steps.run(
                "peer",
                {"peer": peer, "landing": str(source), "output": out},
                f"{peer} peer: core KPIs",
            )
            check = compare_with_marts(Path(out), base / "full" / "wh.duckdb")
        for name, verdict in check.items():
            steps.log(f"    {peer} vs marts, {name}: {verdict.get('summary')}")
        run.seconds[peer], run.cpu_s[peer], run.check[peer] = (
            outcome.seconds,
            outcome.cpu_s,
            check,
        )
        require_equal(peer, check)  # a peer computing something else makes no ratio
    return run


def _peer_figures(peer: _PeerRun, cpu: bool = False) -> dict[str, Any]:
    """pandas_s, polars_s and peer_s (the fastest peer), wall or CPU seconds."""
    times = peer.cpu_s if cpu else peer.seconds
    out: dict[str, Any] = {f"{p}_s": round(v, 2) for p, v in times.items()}
    fastest = peer.fastest()
    out["peer_s"] = round(times[fastest], 2) if fastest else None
    return out


def _headline(
    scale: float, raw_rows: int, full: _FullRun, inc: _IncrementalRun, peer: _PeerRun
) -> dict[str, Any]:
    """The figures RESULT_KEYS lists, bar peak_rss_mb (over every step)."""
    validate_s = sum(
        v for k, v in full.load.details.get("phases", {}).items() if k in ("validate", "quarantine")
    )
    full_refresh_s = full.load.seconds + full.build.seconds + full.publish.seconds
    incremental_s = inc.load.seconds + inc.build.seconds + inc.publish.seconds
    return {
        "scale": scale,
        "raw_rows": raw_rows,
        "floor_s": round(full.read.seconds + full.raw_sql.seconds, 2),
        "load_s": round(full.load.seconds, 2),
        "validate_s": round(validate_s, 2),
        "dbt_build_s": round(full.build.seconds, 2),
        "dbt_run_s": round(full.run.seconds, 2),
        "raw_sql_s": round(full.raw_sql.seconds, 2),
        "publish_s": round(full.publish.seconds, 2),
        "full_refresh_s": round(full_refresh_s, 2),
        "incremental_s": round(incremental_s, 2),
        "pandas_s": None,
        **_peer_figures(peer),
        "fastest_peer": peer.fastest(),
    }


def _details(full: _FullRun, inc: _IncrementalRun, peer: _PeerRun) -> dict[str, Any]:
    """What the headline figures are made of."""
    node = full.build.details.get("node_seconds", {})
    return {
        "read_s": round(full.read.seconds, 2),
        "kpi_sql_s": round(full.kpi_sql.seconds, 2),
        "kpi_sql_models": full.kpi_sql.details.get("models"),
        "dbt_parse_s": round(full.parse.seconds, 2),
        "dbt_build_node_seconds": node,
        "dbt_build_models_s": node.get("model"),
        "dbt_build_tests_s": round(
            sum(v for k, v in node.items() if k in ("test", "unit_test")), 2
        ),
        "dbt_build_ok": bool(full.build.details.get("success")),
        "dbt_build_counts": full.build.details.get("counts"),
        "dbt_build_slowest": full.build.details.get("slowest"),
        "raw_sql_slowest": full.raw_sql.details.get("slowest"),
        "raw_sql_models": full.raw_sql.details.get("models"),
        "load_phases": full.load.details.get("phases"),
        "incremental_new_files": inc.new_files,
        "incremental_new_rows": int(inc.load.details.get("totals", {}).get("rows_landed", 0)),
        "incremental_load_s": round(inc.load.seconds, 2),
        "incremental_dbt_build_s": round(inc.build.seconds, 2),
        "incremental_publish_s": round(inc.publish.seconds, 2),
        "incremental_dbt_build_slowest": inc.build.details.get("slowest"),
        "incremental_dbt_build_node_seconds": inc.build.details.get("node_seconds"),
        "peer_check": peer.check,
        "peers_not_installed": peer.missing,
    }


def _cpu(full: _FullRun, inc: _IncrementalRun, peer: _PeerRun) -> dict[str, Any]:
    """CPU seconds (user + system, all threads) of the same steps: steadier than
    wall time when other work shares the machine."""
    return {
        "floor_s": round(full.read.cpu_s + full.raw_sql.cpu_s, 2),
        "read_s": round(full.read.cpu_s, 2),
        "load_s": round(full.load.cpu_s, 2),
        "dbt_build_s": round(full.build.cpu_s, 2),
        "dbt_run_s": round(full.run.cpu_s, 2),
        "raw_sql_s": round(full.raw_sql.cpu_s, 2),
        "kpi_sql_s": round(full.kpi_sql.cpu_s, 2),
        "publish_s": round(full.publish.cpu_s, 2),
        "full_refresh_s": round(full.load.cpu_s + full.build.cpu_s + full.publish.cpu_s, 2),
        "incremental_s": round(inc.load.cpu_s + inc.build.cpu_s + inc.publish.cpu_s, 2),
        **_peer_figures(peer, cpu=True),
    }


def _step_rows(steps: list[StepOutcome]) -> list[dict[str, Any]]:
    return [
        {
            "step": s.name,
            "seconds": round(s.seconds, 2),
            "cpu_s": round(s.cpu_s, 2),
            "peak_rss_mb": round(s.peak_rss_mb),
            "load_avg": round(s.load_avg, 1),
        }
        for s in steps
    ]


def bench_scale(
    scale: float, seed: int, workdir: Path, log: Log, pandas: bool = True
) -> dict[str, Any]:
    """Every measurement at one scale; returns its results.json entry."""
    base = workdir / _scale_name(scale)
    source = base / "source"
    log(f"scale {scale:g}")
    generation = ensure_source(source, scale, seed, log)
    raw_rows = int(generation.get("totals", {}).get("rows_written", 0))
    generated = generation.get("bench_generate")
    steps = _Steps(log)
    full = _measure_full(steps, source, base)
    inc = _measure_incremental(steps, source, base)
    peer = _measure_peers(steps, source, base) if pandas else _PeerRun()
    # crm_dev.bench.refresh: the refresh end to end
    refresh = measure_refresh(source, base, log, stage_landing)
    peaks = [s.peak_rss_mb for s in steps.done] + [refresh["refresh_peak_rss_mb"]]
    return {
        **_headline(scale, raw_rows, full, inc, peer),
        # every step's, the refresh's children included (its first refresh peaks highest)
        "peak_rss_mb": round(max(peaks), 0),
        **_details(full, inc, peer),
        **refresh,
        "cpu": _cpu(full, inc, peer),
        "max_load_avg": round(max(s.load_avg for s in steps.done), 1),
        "generate": generated,
        "steps": _step_rows(steps.done),
    }


# --------------------------------------------------------------------------- whole run


def run_bench(
    scales: list[float],
    workdir: Path,
    output: Path | None = None,
    seed: int = 42,
    pandas: bool = True,
    keep: bool = False,
    log: Log = print,
    import_export: bool = True,
) -> dict[str, Any]:
    """Benchmark every scale in `scales` (and, unless told not to, the import of
    a public export: crm_dev.bench.import_export); write `output` (JSON) and
    return it."""
    workdir = workdir.resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    imported = measure_import(workdir, log) if import_export else {}
    results = []
    for scale in scales:
        result = bench_scale(scale, seed, workdir, log, pandas=pandas)
        result["targets"] = check_targets(result)
        result["targets_cpu"] = check_targets(result, cpu=True)
        results.append(result)
        if not keep:
            for folder in ("full", "incremental", "pandas", "refresh"):
                shutil.rmtree(workdir / _scale_name(scale) / folder, ignore_errors=True)
        data = {
            "generated_by": "python -m crm_dev.bench",
            "seed": seed,
            "machine": machine(),
            "seconds": round(time.perf_counter() - started, 1),
            **imported,
            "results": results,
        }
        if output is not None:  # after each scale, so a long run keeps what it has
            output.parent.mkdir(parents=True, exist_ok=True)
            output.write_text(json.dumps(data, indent=2, default=str) + "\n")
    return data
