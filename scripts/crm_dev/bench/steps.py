"""The benchmark's measured steps, each run in a child process of its own.

Every measured step runs as `python -m crm_dev.bench.steps <step> <args.json>
<result.json>` so that its peak resident memory is its own. Imports happen
before the clock starts; the step's wall time (and CPU time, user + system,
all threads) is what is reported. `run_step` is the parent's side.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from crm_warehouse.settings import TELEMETRY_OFF, Settings, project_root, sql_identifier

Log = Callable[[str], None]


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

    from crm_warehouse.ingest.files import discover
    from crm_warehouse.ingest.inspection import csv_header, describe_columns
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
            table = sql_identifier(path.parent.name)
            lit = sql_literal(str(path))
            if path.suffix == ".csv":
                names, delim = csv_header(path)
                columns = "{" + ", ".join(f"'{n}': 'VARCHAR'" for n in names) + "}"
                source = (
                    f"read_csv({lit}, auto_detect = false, header = true, delim = '{delim}',"
                    f" quote = '\"', escape = '\"', ignore_errors = true, columns = {columns})"
                )
            elif path.suffix == ".jsonl":
                names = describe_columns(con, f"read_json({lit}, format = 'newline_delimited')")
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
                con.execute(f"insert into {table} by name select * from {source}")
            else:
                con.execute(f"create table {table} as select * from {source}")
                created.add(table)
        rows = sum(
            con.execute(f"select count(*) from {t}").fetchone()[0]  # type: ignore[index]
            for t in sorted(created)
        )
    finally:
        con.close()
    return {"seconds": clock.seconds(), "cpu_s": clock.cpu_seconds(), "rows": rows}


def _step_load(args: dict[str, Any]) -> dict[str, Any]:
    from crm_warehouse.ingest.load import load_landing

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
    from crm_warehouse.pipeline import refresh_build_args

    settings = _settings(Path(args["home"]), Path(args["landing"]))
    clock = _Clock()
    logs = ["--log-path", str(Path(args["home"]) / "logs")]
    command, *rest = args["dbt_args"]
    if command == "build":  # as the refresh runs it: no unit tests (make test runs them)
        result = dbt_build(settings, refresh_build_args([*rest, *logs]))
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


def _step_peer(args: dict[str, Any]) -> dict[str, Any]:
    """A peer (crm_dev.bench.peers) computing its KPI frames from the landed
    files; the frames are written to Parquet after the clock stops."""
    from crm_dev.bench.peers import compute, write_frames

    root = project_root()
    clock = _Clock()
    kpis = compute(args["peer"], Path(args["landing"]), root / "seeds")
    seconds, cpu = clock.seconds(), clock.cpu_seconds()
    write_frames(kpis, Path(args["output"]))
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
    "peer": _step_peer,
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
        env = {**os.environ, **TELEMETRY_OFF, "DBT_PARTIAL_PARSE": "true"}
        proc = subprocess.run(
            [sys.executable, "-m", "crm_dev.bench.steps", step, str(args_file), str(result_file)],
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


if __name__ == "__main__":
    _child_main(sys.argv[1:])
