"""The benchmark: where a refresh stands against the physical floor and
against what a user would write instead, at one or more scales of the demo data.

    from crm_warehouse.bench import run_bench
    results = run_bench([1, 10], workdir=Path("bench/work"))

For each scale, on the same machine and in one run, it measures:

- the floor: DuckDB alone reading every landed file once (`read_s`), plus the
  compiled SQL of every model executed directly in one DuckDB connection in
  dependency order (`raw_sql_s`);
- a full refresh of a fresh warehouse: load with validation (`load_s`, of
  which `validate_s` is Great Expectations), `dbt build --full-refresh`
  (`dbt_build_s`, split into models, tests and seeds by node time) and
  publish (`publish_s`);
- `dbt run --full-refresh` (`dbt_run_s`) against `raw_sql_s`: dbt's overhead;
- an incremental refresh after landing the last export batch (~1 % of the
  rows) on a warehouse refreshed without it (`incremental_s`);
- a pandas peer computing the core KPIs from the landed files (`pandas_s`),
  checked against the marts (crm_warehouse.bench_pandas);
- the peak resident memory of each step: every step runs in a child process
  of its own, which reports its ru_maxrss.

Nothing here is a test: it writes figures (bench/results.json) and a table.
"""

from __future__ import annotations

import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from crm_warehouse.settings import Settings, project_root

#: The export batch held back for the incremental refresh (the generator makes
#: its last batch about 1 % of the rows for this).
INCREMENTAL_BATCH = "b08"

#: Keys of one scale's entry in results.json, in the order the issue lists them.
RESULT_KEYS = (
    "scale",
    "raw_rows",
    "floor_s",
    "load_s",
    "validate_s",
    "dbt_build_s",
    "dbt_run_s",
    "raw_sql_s",
    "publish_s",
    "full_refresh_s",
    "incremental_s",
    "pandas_s",
    "peak_rss_mb",
)

#: Targets as (label, numerator key, denominator key or None, limit).
TARGETS: tuple[tuple[str, str, str | None, float], ...] = (
    ("full refresh <= 3 x floor", "full_refresh_s", "floor_s", 3.0),
    ("dbt run <= 1.3 x raw SQL", "dbt_run_s", "raw_sql_s", 1.3),
    ("incremental <= 0.10 x full refresh", "incremental_s", "full_refresh_s", 0.10),
    ("load with validation <= 2 x plain read", "load_s", "read_s", 2.0),
    ("peak RSS <= 2048 MB", "peak_rss_mb", None, 2048.0),
    ("full refresh >= 10 x faster than pandas", "full_refresh_s", "pandas_s", 0.10),
    ("same KPIs in SQL >= 10 x faster than pandas", "kpi_sql_s", "pandas_s", 0.10),
)

Log = Callable[[str], None]


def _scale_name(scale: float) -> str:
    return f"s{scale:g}"


# --------------------------------------------------------------------------- child steps
# Every measured step runs in a child process (`python -m crm_warehouse.bench
# <step> <json args>`) so that its peak resident memory is its own. Imports
# happen before the clock starts; the step's wall time is what is reported.


class _Clock:
    """Wall and CPU seconds (user + system, all threads) of this process since start."""

    def __init__(self) -> None:
        self.wall = time.perf_counter()
        self.cpu = _cpu_seconds()

    def seconds(self) -> float:
        return time.perf_counter() - self.wall

    def cpu_seconds(self) -> float:
        return _cpu_seconds() - self.cpu


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _settings(home: Path, landing: Path) -> Settings:
    return Settings(
        root=project_root(),
        landing_dir=landing,
        quarantine_dir=home / "quarantine",
        warehouse_path=home / "wh.duckdb",
        publish_dir=home / "publish",
    )


def _step_read(args: dict[str, Any]) -> dict[str, Any]:
    """DuckDB alone: every landed file read once into raw tables, the way the
    loader reads it (declared text columns, no sniffing) but without validation;
    rows a CSV reader cannot parse are skipped."""
    import duckdb

    from crm_warehouse.load import _csv_header, _describe, discover
    from crm_warehouse.settings import configure_duckdb, sql_literal

    landing = Path(args["landing"])
    target = Path(args["database"])
    target.unlink(missing_ok=True)
    clock = _Clock()
    con = duckdb.connect(str(target))
    configure_duckdb(con)  # the loader's settings, for a like-for-like floor
    created: set[str] = set()
    try:
        for path in discover(landing):
            table = path.parent.name
            lit = sql_literal(str(path))
            if path.suffix == ".csv":
                names, delim = _csv_header(path)
                columns = "{" + ", ".join(f"'{n}': 'VARCHAR'" for n in names) + "}"
                source = (
                    f"read_csv({lit}, auto_detect = false, header = true, delim = '{delim}',"
                    f" quote = '\"', escape = '\"', ignore_errors = true, columns = {columns})"
                )
            elif path.suffix == ".jsonl":
                names = _describe(con, f"read_json({lit}, format = 'newline_delimited')")
                columns = "{" + ", ".join(f"'{n}': 'VARCHAR'" for n in names) + "}"
                source = (
                    f"read_json({lit}, format = 'newline_delimited', ignore_errors = true,"
                    f" columns = {columns})"
                )
            elif path.suffix == ".parquet":
                source = f"read_parquet({lit})"
            else:
                continue
            if table in created:
                con.execute(f'insert into "{table}" by name select * from {source}')
            else:
                con.execute(f'create table "{table}" as select * from {source}')
                created.add(table)
        rows = sum(
            con.execute(f'select count(*) from "{t}"').fetchone()[0]  # type: ignore[index]
            for t in sorted(created)
        )
    finally:
        con.close()
    return {"seconds": clock.seconds(), "cpu_s": clock.cpu_seconds(), "rows": rows}


def _step_load(args: dict[str, Any]) -> dict[str, Any]:
    from crm_warehouse.load import load_landing

    settings = _settings(Path(args["home"]), Path(args["landing"]))
    clock = _Clock()
    summary = load_landing(settings)
    seconds, cpu = clock.seconds(), clock.cpu_seconds()
    phases: dict[str, float] = {}
    for f in summary.files:
        for phase, value in f.seconds.items():
            phases[phase] = phases.get(phase, 0.0) + value
    return {
        "seconds": seconds,
        "cpu_s": cpu,
        "totals": summary.totals,
        "phases": {k: round(v, 3) for k, v in sorted(phases.items())},
    }


def _step_dbt(args: dict[str, Any]) -> dict[str, Any]:
    from crm_warehouse.build import dbt_build, run_dbt

    settings = _settings(Path(args["home"]), Path(args["landing"]))
    clock = _Clock()
    logs = ["--log-path", str(Path(args["home"]) / "logs")]
    command, *rest = args["dbt_args"]
    if command == "build":  # as the refresh runs it (missing incremental models first)
        result = dbt_build(settings, [*rest, *logs])
    else:
        result = run_dbt(settings, [command, *rest, *logs])
    seconds, cpu = clock.seconds(), clock.cpu_seconds()
    by_type: dict[str, float] = {}
    for node in result.nodes:
        by_type[node.resource_type] = by_type.get(node.resource_type, 0.0) + node.seconds
    slowest = sorted(result.nodes, key=lambda n: n.seconds, reverse=True)[:8]
    return {
        "seconds": seconds,
        "cpu_s": cpu,
        "success": result.success,
        "counts": result.counts(),
        "node_seconds": {k: round(v, 2) for k, v in sorted(by_type.items())},
        "slowest": [[n.unique_id, round(n.seconds, 2)] for n in slowest],
        "problems": [
            f"{p.unique_id}: {p.status}: {(p.message or '')[:200]}"
            for p in result.problems()
            if p.status != "warn"
        ][:10],
        "error": result.error,
    }


def _step_publish(args: dict[str, Any]) -> dict[str, Any]:
    from crm_warehouse.serve.publish import publish

    settings = _settings(Path(args["home"]), Path(args["landing"]))
    clock = _Clock()
    result = publish(settings)
    return {
        "seconds": clock.seconds(),
        "cpu_s": clock.cpu_seconds(),
        "tables": len(result.tables),
        "rows": result.rows,
    }


def _step_raw_sql(args: dict[str, Any]) -> dict[str, Any]:
    """The compiled SQL of every model, run directly in one DuckDB connection in
    dependency order, each as `create or replace table|view ... as <sql>`."""
    import duckdb

    from crm_warehouse.settings import configure_duckdb

    statements: list[list[str]] = args["statements"]
    clock = _Clock()
    con = duckdb.connect(args["database"])
    timings: list[tuple[str, float]] = []
    try:
        configure_duckdb(con)  # dbt's settings (profiles.yml), for a like-for-like floor
        for name, sql in statements:
            t0 = time.perf_counter()
            con.execute(sql)
            timings.append((name, time.perf_counter() - t0))
    finally:
        con.close()
    slowest = sorted(timings, key=lambda t: t[1], reverse=True)[:8]
    return {
        "seconds": clock.seconds(),
        "cpu_s": clock.cpu_seconds(),
        "models": len(statements),
        "slowest": [[n, round(s, 2)] for n, s in slowest],
    }


def _step_pandas(args: dict[str, Any]) -> dict[str, Any]:
    from crm_warehouse.bench_pandas import compute_kpis

    root = project_root()
    clock = _Clock()
    kpis = compute_kpis(Path(args["landing"]), root / "seeds")
    seconds, cpu = clock.seconds(), clock.cpu_seconds()
    out = Path(args["output"])
    for name, frame in kpis.items():
        frame.to_parquet(out / f"{name}.parquet", index=False)
    return {"seconds": seconds, "cpu_s": cpu, "frames": {k: len(v) for k, v in kpis.items()}}


def _step_generate(args: dict[str, Any]) -> dict[str, Any]:
    """The demo data set (not a measured figure; a child process all the same,
    so that its memory is not inherited by the measured steps: a child forked
    from a large parent starts with the parent's resident size as its peak)."""
    from crm_warehouse.generate import generate

    clock = _Clock()
    report = generate(Path(args["source"]), scale=args["scale"], seed=args["seed"])
    return {"seconds": clock.seconds(), "cpu_s": clock.cpu_seconds(), "report": report.to_dict()}


_STEPS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "generate": _step_generate,
    "read": _step_read,
    "load": _step_load,
    "dbt": _step_dbt,
    "publish": _step_publish,
    "raw_sql": _step_raw_sql,
    "pandas": _step_pandas,
}


def _child_main(argv: list[str]) -> None:
    step, args_file, result_file = argv
    args = json.loads(Path(args_file).read_text())
    result = _STEPS[step](args)
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    Path(result_file).write_text(json.dumps(result, default=str))


@dataclass
class StepOutcome:
    name: str
    seconds: float
    cpu_s: float
    peak_rss_mb: float
    #: 1-minute load average of the machine when the step ended (other work running)
    load_avg: float
    details: dict[str, Any]


def run_step(step: str, args: dict[str, Any], label: str, log: Log) -> StepOutcome:
    """Run one step in a child process; return its wall time, peak RSS and details."""
    with tempfile.TemporaryDirectory(prefix="crm-bench-") as tmp:
        args_file = Path(tmp) / "args.json"
        result_file = Path(tmp) / "result.json"
        args_file.write_text(json.dumps(args))
        env = {
            **os.environ,
            "GX_ANALYTICS_ENABLED": "false",
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
            "DO_NOT_TRACK": "1",
            "DBT_PARTIAL_PARSE": "true",
        }
        proc = subprocess.run(
            [sys.executable, "-m", "crm_warehouse.bench", step, str(args_file), str(result_file)],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if proc.returncode != 0 or not result_file.is_file():
            tail = (proc.stderr or proc.stdout or "").strip().splitlines()[-15:]
            raise RuntimeError(f"bench step {label} failed:\n" + "\n".join(tail))
        data = json.loads(result_file.read_text())
    seconds = float(data.pop("seconds"))
    cpu = float(data.pop("cpu_s"))
    rss = float(data.pop("peak_rss_mb"))
    load = os.getloadavg()[0]
    log(f"  {label:<36} {seconds:8.2f} s {cpu:8.2f} cpu-s {rss:7.0f} MB  load {load:5.1f}")
    return StepOutcome(label, seconds, cpu, rss, load, data)


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
    return step.details["report"]


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


#: The marts holding the KPIs the pandas peer computes.
PEER_MARTS = ("kpi_sales_monthly", "kpi_marketing_leads_monthly", "kpi_service_cases_monthly")


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


def bench_scale(
    scale: float, seed: int, workdir: Path, log: Log, pandas: bool = True
) -> dict[str, Any]:
    """Every measurement at one scale; returns its results.json entry."""
    base = workdir / _scale_name(scale)
    source = base / "source"
    log(f"scale {scale:g}")
    generation = ensure_source(source, scale, seed, log)
    raw_rows = int(generation.get("totals", {}).get("rows_written", 0))
    steps: list[StepOutcome] = []

    def step(name: str, args: dict[str, Any], label: str) -> StepOutcome:
        outcome = run_step(name, args, label, log)
        steps.append(outcome)
        return outcome

    def dbt(home: Path, landing: Path, dbt_args: list[str], label: str) -> StepOutcome:
        outcome = step(
            "dbt", {"home": str(home), "landing": str(landing), "dbt_args": dbt_args}, label
        )
        if not outcome.details.get("success"):
            problems = "\n".join(outcome.details.get("problems") or [])
            log(f"  WARNING: {label} did not succeed: {outcome.details.get('error')}\n{problems}")
        return outcome

    # 1. the floor's read: DuckDB alone, every landed file once
    read = step(
        "read",
        {"landing": str(source), "database": str(base / "plain_read.duckdb")},
        "floor: DuckDB reads every file",
    )
    (base / "plain_read.duckdb").unlink(missing_ok=True)

    # 2. a full refresh of a fresh warehouse on every batch
    full = _fresh(base / "full")
    landing = full / "landing"
    stage_landing(source, landing, include_last=True)
    parse = dbt(full, landing, ["parse"], "dbt parse (warm-up, not counted)")
    load = step("load", {"home": str(full), "landing": str(landing)}, "full: load + validate")
    build = dbt(full, landing, ["build", "--full-refresh"], "full: dbt build --full-refresh")
    publish = step("publish", {"home": str(full), "landing": str(landing)}, "full: publish")

    # 3. dbt run on the same data, then the same compiled SQL directly
    run = dbt(full, landing, ["run", "--full-refresh"], "dbt run --full-refresh")
    statements = model_statements(full / "target")
    raw_dir = _fresh(base / "raw_sql")
    raw_db = raw_dir / "wh.duckdb"  # same file name: the same catalog name in the SQL
    shutil.copy2(full / "wh.duckdb", raw_db)
    raw_sql = step(
        "raw_sql",
        {"database": str(raw_db), "statements": statements},
        "compiled SQL run directly",
    )
    # the same for the models the pandas peer's KPIs need, and nothing else
    shutil.copy2(full / "wh.duckdb", raw_db)
    kpi_sql = step(
        "raw_sql",
        {"database": str(raw_db), "statements": model_statements(full / "target", PEER_MARTS)},
        "compiled SQL of the peer's KPIs",
    )
    shutil.rmtree(raw_dir)

    # 4. incremental: a warehouse refreshed without the last batch, then the batch lands
    incr = _fresh(base / "incremental")
    incr_landing = incr / "landing"
    stage_landing(source, incr_landing, include_last=False)
    dbt(incr, incr_landing, ["parse"], "incremental: dbt parse (warm-up)")
    step("load", {"home": str(incr), "landing": str(incr_landing)}, "incremental: base load")
    dbt(incr, incr_landing, ["build", "--full-refresh"], "incremental: base build")
    step("publish", {"home": str(incr), "landing": str(incr_landing)}, "incremental: base publish")
    new_files = stage_landing(source, incr_landing, include_last=True)
    inc_load = step(
        "load", {"home": str(incr), "landing": str(incr_landing)}, "incremental: load new batch"
    )
    inc_build = dbt(incr, incr_landing, ["build"], "incremental: dbt build")
    inc_publish = step(
        "publish", {"home": str(incr), "landing": str(incr_landing)}, "incremental: publish"
    )
    new_rows = int(inc_load.details.get("totals", {}).get("rows_landed", 0))
    # the same build again without the unit tests (they test code, not data): what
    # a nightly run could skip when the code has not changed since the last one
    inc_no_unit = dbt(
        incr,
        incr_landing,
        ["build", "--exclude", "test_type:unit"],
        "incremental: again, no unit tests",
    )

    # 5. the pandas peer, checked against the marts of the full refresh
    pandas_s: float | None = None
    pandas_cpu: float | None = None
    pandas_check: dict[str, Any] = {}
    if pandas:
        peer_dir = _fresh(base / "pandas")
        peer = step(
            "pandas", {"landing": str(source), "output": str(peer_dir)}, "pandas peer: core KPIs"
        )
        pandas_s, pandas_cpu = peer.seconds, peer.cpu_s
        from crm_warehouse.bench_pandas import compare_with_marts

        pandas_check = compare_with_marts(peer_dir, full / "wh.duckdb")
        for name, verdict in pandas_check.items():
            log(f"    pandas vs marts, {name}: {verdict.get('summary')}")

    validate_s = sum(
        v for k, v in load.details.get("phases", {}).items() if k in ("validate", "quarantine")
    )
    full_refresh_s = load.seconds + build.seconds + publish.seconds
    incremental_s = inc_load.seconds + inc_build.seconds + inc_publish.seconds
    node = build.details.get("node_seconds", {})
    result: dict[str, Any] = {
        "scale": scale,
        "raw_rows": raw_rows,
        "floor_s": round(read.seconds + raw_sql.seconds, 2),
        "load_s": round(load.seconds, 2),
        "validate_s": round(validate_s, 2),
        "dbt_build_s": round(build.seconds, 2),
        "dbt_run_s": round(run.seconds, 2),
        "raw_sql_s": round(raw_sql.seconds, 2),
        "publish_s": round(publish.seconds, 2),
        "full_refresh_s": round(full_refresh_s, 2),
        "incremental_s": round(incremental_s, 2),
        "pandas_s": round(pandas_s, 2) if pandas_s is not None else None,
        "peak_rss_mb": round(max(s.peak_rss_mb for s in steps), 0),
        # what the headline figures are made of
        "read_s": round(read.seconds, 2),
        "kpi_sql_s": round(kpi_sql.seconds, 2),
        "kpi_sql_models": kpi_sql.details.get("models"),
        "dbt_parse_s": round(parse.seconds, 2),
        "dbt_build_node_seconds": node,
        "dbt_build_models_s": node.get("model"),
        "dbt_build_tests_s": round(
            sum(v for k, v in node.items() if k in ("test", "unit_test")), 2
        ),
        "dbt_build_ok": bool(build.details.get("success")),
        "dbt_build_counts": build.details.get("counts"),
        "dbt_build_slowest": build.details.get("slowest"),
        "raw_sql_slowest": raw_sql.details.get("slowest"),
        "raw_sql_models": raw_sql.details.get("models"),
        "load_phases": load.details.get("phases"),
        "incremental_new_files": new_files,
        "incremental_new_rows": new_rows,
        "incremental_load_s": round(inc_load.seconds, 2),
        "incremental_dbt_build_s": round(inc_build.seconds, 2),
        "incremental_publish_s": round(inc_publish.seconds, 2),
        "incremental_dbt_build_slowest": inc_build.details.get("slowest"),
        "incremental_dbt_build_without_unit_tests_s": round(inc_no_unit.seconds, 2),
        "incremental_dbt_build_node_seconds": inc_build.details.get("node_seconds"),
        "pandas_check": pandas_check,
        # CPU seconds (user + system, all threads) of the same steps: steadier than
        # wall time when other work shares the machine
        "cpu": {
            "floor_s": round(read.cpu_s + raw_sql.cpu_s, 2),
            "read_s": round(read.cpu_s, 2),
            "load_s": round(load.cpu_s, 2),
            "dbt_build_s": round(build.cpu_s, 2),
            "dbt_run_s": round(run.cpu_s, 2),
            "raw_sql_s": round(raw_sql.cpu_s, 2),
            "kpi_sql_s": round(kpi_sql.cpu_s, 2),
            "publish_s": round(publish.cpu_s, 2),
            "full_refresh_s": round(load.cpu_s + build.cpu_s + publish.cpu_s, 2),
            "incremental_s": round(inc_load.cpu_s + inc_build.cpu_s + inc_publish.cpu_s, 2),
            "pandas_s": round(pandas_cpu, 2) if pandas_cpu is not None else None,
        },
        "max_load_avg": round(max(s.load_avg for s in steps), 1),
        "steps": [
            {
                "step": s.name,
                "seconds": round(s.seconds, 2),
                "cpu_s": round(s.cpu_s, 2),
                "peak_rss_mb": round(s.peak_rss_mb),
                "load_avg": round(s.load_avg, 1),
            }
            for s in steps
        ],
    }
    return result


# --------------------------------------------------------------------------- whole run


def machine() -> dict[str, Any]:
    """What the figures came from."""
    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gb = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem_gb = round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    import dbt.version
    import duckdb
    import pandas

    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gb": mem_gb,
        "os": platform.platform(),
        "python": platform.python_version(),
        "duckdb": duckdb.__version__,
        "dbt": str(dbt.version.installed),
        "pandas": pandas.__version__,
    }


def check_targets(result: dict[str, Any], cpu: bool = False) -> list[dict[str, Any]]:
    """Each target's ratio (or value) and whether it is met; with cpu, the time
    ratios on CPU seconds instead of wall seconds."""
    checks = []
    figures = {**result, **(result.get("cpu") or {})} if cpu else result
    for label, num, den, limit in TARGETS:
        top = figures.get(num)
        bottom = figures.get(den) if den else 1.0
        if top is None or not bottom:
            checks.append({"target": label, "value": None, "met": None})
            continue
        value = float(top) / float(bottom)
        checks.append({"target": label, "value": round(value, 3), "met": value <= limit})
    return checks


def run_bench(
    scales: list[float],
    workdir: Path,
    output: Path | None = None,
    seed: int = 42,
    pandas: bool = True,
    keep: bool = False,
    log: Log = print,
) -> dict[str, Any]:
    """Benchmark every scale in `scales`; write `output` (JSON) and return it."""
    workdir = workdir.resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    results = []
    for scale in scales:
        result = bench_scale(scale, seed, workdir, log, pandas=pandas)
        result["targets"] = check_targets(result)
        result["targets_cpu"] = check_targets(result, cpu=True)
        results.append(result)
        if not keep:
            for folder in ("full", "incremental", "pandas"):
                shutil.rmtree(workdir / _scale_name(scale) / folder, ignore_errors=True)
        data = {
            "generated_by": "crm-warehouse bench",
            "seed": seed,
            "machine": machine(),
            "seconds": round(time.perf_counter() - started, 1),
            "results": results,
        }
        if output is not None:  # after each scale, so a long run keeps what it has
            output.parent.mkdir(parents=True, exist_ok=True)
            output.write_text(json.dumps(data, indent=2, default=str) + "\n")
    return data


def format_table(data: dict[str, Any]) -> str:
    """The figures as a Markdown table, one column per scale, then the targets
    (ratio on wall seconds, and on CPU seconds in brackets)."""
    results = data["results"]
    head = "| figure | " + " | ".join(f"scale {r['scale']:g}" for r in results) + " |"
    lines = [head, "|---|" + "---:|" * len(results)]
    for key in (*RESULT_KEYS[1:], "read_s", "kpi_sql_s"):
        cells = []
        for r in results:
            v = r.get(key)
            cpu = (r.get("cpu") or {}).get(key)
            text = "" if v is None else (f"{v:,}" if isinstance(v, int) else f"{v:,.1f}")
            cells.append(text + (f" ({cpu:,.1f} cpu)" if cpu is not None else ""))
        lines.append(f"| {key} | " + " | ".join(cells) + " |")
    lines += ["", "| target | " + " | ".join(f"scale {r['scale']:g}" for r in results) + " |"]
    lines.append("|---|" + "---:|" * len(results))

    def cell(check: dict[str, Any]) -> str:
        if check["value"] is None:
            return "n/a"
        return f"{check['value']:.2f} {'met' if check['met'] else 'MISSED'}"

    for i, (label, *_rest) in enumerate(TARGETS):
        cells = [
            f"{cell(r['targets'][i])} ({cell(r['targets_cpu'][i])})"
            if label != "peak RSS <= 2048 MB"
            else cell(r["targets"][i])
            for r in results
        ]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


if __name__ == "__main__":
    _child_main(sys.argv[1:])
