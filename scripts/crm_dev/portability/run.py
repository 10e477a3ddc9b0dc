"""The portability check's run: the same data seeded into every engine, dbt
built on each, and every mart compared with DuckDB's (see crm_dev.portability)."""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from crm_dev.portability.compare import MartDiff, compare_tables, marts_from_manifest
from crm_dev.portability.dbt_runs import (
    INCREMENTAL_SELECT,
    EngineRun,
    SubprocessBuild,
    build_in_process,
    dbt_command,
    merge_runs,
    relabel,
    report_build,
)
from crm_dev.portability.engines import ENGINES, REFERENCE
from crm_dev.portability.engines.postgres import (
    PostgresServer,
    copy_raw_to_postgres,
    read_postgres,
)
from crm_dev.portability.engines.reference import duckdb_kinds, read_duckdb
from crm_dev.portability.engines.spark import (
    build_spark,
    copy_raw_to_spark,
    read_spark,
    start_spark,
)
from crm_dev.portability.report import CheckReport, format_report
from crm_warehouse.settings import TELEMETRY_OFF, Settings, disable_telemetry


def _settings(base: Path) -> Settings:
    """The DuckDB warehouse sits in the engine's own folder, beside its dbt target."""
    return replace(Settings.under(base), warehouse_path=base / REFERENCE / "crm.duckdb")


def _process_cpu_seconds(pid: int) -> float | None:
    """User + system CPU seconds of a process (Linux /proc), None elsewhere."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def _cpu_summary(spark: Any) -> str:
    """CPU seconds spent: this process, its finished children (dbt), Spark's JVM.
    On a busy machine these say more than the wall-clock times."""
    import resource

    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    parts = [
        f"this process {own.ru_utime + own.ru_stime:.0f} s",
        f"dbt child processes {children.ru_utime + children.ru_stime:.0f} s",
    ]
    proc = getattr(getattr(getattr(spark, "sparkContext", None), "_gateway", None), "proc", None)
    jvm = _process_cpu_seconds(proc.pid) if proc is not None else None
    if jvm is not None:
        parts.append(f"Spark JVM {jvm:.0f} s")
    return "[time] CPU: " + ", ".join(parts)


@contextlib.contextmanager
def _timed(report: CheckReport, name: str, echo: Callable[[str], None]) -> Iterator[None]:
    started = time.perf_counter()
    try:
        yield
    finally:
        report.timings[name] = time.perf_counter() - started
        echo(f"[time] {name}: {report.timings[name]:.1f} s")


@dataclass
class _Check:
    """One check in progress: where it works, what it runs, what it started
    (stopped in any case at the end) and what it found."""

    work_dir: Path
    engines: list[str]
    settings: Settings
    env: dict[str, str]
    threads: int
    spark_threads: int
    spark_data_tests: str
    echo: Callable[[str], None]
    report: CheckReport = field(default_factory=CheckReport)
    server: PostgresServer | None = None
    spark: Any = None
    builds: list[SubprocessBuild] = field(default_factory=list)

    def start_engines(self) -> None:
        """Start PostgreSQL and Spark as chosen and copy DuckDB's raw tables into each."""
        import duckdb

        duck = duckdb.connect(str(self.settings.warehouse_path), read_only=True)
        try:
            if "postgres" in self.engines:
                self.server = PostgresServer().start()
                self.env.update(self.server.env())
                n = copy_raw_to_postgres(duck, self.server, self.work_dir / "postgres" / "raw_csv")
                self.echo(f"[postgres] server on 127.0.0.1:{self.server.port}, {n} raw rows copied")
            if "spark" in self.engines:
                # one process holds the session: no metastore needed
                os.environ.setdefault("CRM_SPARK_CATALOG", "in-memory")
                self.spark = start_spark(self.work_dir / "spark")
                n = copy_raw_to_spark(duck, self.spark)
                self.echo(f"[spark] session {self.spark.version} (local), {n} raw rows copied")
        finally:
            duck.close()

    def build(self) -> None:
        """dbt build, then the incremental models again, on every engine: DuckDB
        and PostgreSQL in child processes while Spark builds in this one."""
        for engine in self.engines:
            if engine == "spark":
                continue
            target = self.work_dir / engine
            cmds = [
                dbt_command(engine, self.settings, target / "target", self.threads),
                dbt_command(
                    engine,
                    self.settings,
                    target / "target-incremental",
                    self.threads,
                    command="run",
                    extra=INCREMENTAL_SELECT,
                ),
            ]
            self.builds.append(SubprocessBuild(engine, cmds, self.env, target / "dbt.log"))
        if self.spark is not None:
            self.report.builds["spark"] = self._build_spark()
            report_build(self.report.builds["spark"], self.echo)
        for build in self.builds:
            run = build.wait()
            self.report.builds[build.engine] = run
            report_build(run, self.echo)
        self.builds = []

    def _build_spark(self) -> EngineRun:
        os.environ.update({k: v for k, v in self.env.items() if k.startswith(("CRM_", "DBT_"))})
        spark_dir = self.work_dir / "spark"
        run = build_spark(
            self.settings, spark_dir / "target", self.spark_threads, self.spark_data_tests
        )
        if run.success:
            again = build_in_process(
                "spark",
                self.settings,
                spark_dir / "target-incremental",
                self.spark_threads,
                command="run",
                extra=INCREMENTAL_SELECT,
            )
            run = merge_runs(run, relabel(again, "incremental "))
        return run

    def compare(self) -> None:
        _compare_all(
            self.report, self.engines, self.work_dir, self.settings, self.server, self.spark
        )

    def stop(self) -> None:
        for build in self.builds:
            build.kill()
        if self.server is not None:
            self.server.stop()
        if self.spark is not None:
            self.spark.stop()


def run_check(
    work_dir: Path,
    engines: Sequence[str] = ENGINES,
    scale: float = 0.01,
    seed: int = 7,
    threads: int = 2,
    echo: Callable[[str], None] = print,
    spark_threads: int = 4,
    spark_data_tests: str = "all",
) -> CheckReport:
    """Seed the same data into every engine, build, and compare every mart.

    DuckDB and PostgreSQL build in child processes while Spark builds in this
    one (its session, started here, holds the raw copy and the metastore)."""
    from crm_warehouse.generate import generate
    from crm_warehouse.ingest.load import load_landing

    settings = _settings(work_dir)
    check = _Check(
        work_dir,
        engines=[REFERENCE, *[e for e in ENGINES if e in engines and e != REFERENCE]],
        settings=settings,
        env={
            **os.environ,
            **TELEMETRY_OFF,
            "DBT_PARTIAL_PARSE": "false",
            "CRM_DUCKDB_PATH": str(settings.warehouse_path),
        },
        threads=threads,
        spark_threads=spark_threads,
        spark_data_tests=spark_data_tests,
        echo=echo,
    )
    disable_telemetry()
    report = check.report

    with _timed(report, "generate + load into DuckDB", echo):
        generate(settings.landing_dir, scale=scale, seed=seed)
        load_landing(settings)
    try:
        with _timed(report, "start engines + copy raw", echo):
            check.start_engines()
        with _timed(report, "dbt build on every engine", echo):
            check.build()
        with _timed(report, "compare marts", echo):
            check.compare()
        echo(_cpu_summary(check.spark))
    finally:
        check.stop()
    echo("")
    echo(format_report(report, check.engines))
    return report


def _compare_all(
    report: CheckReport,
    engines: Sequence[str],
    work_dir: Path,
    settings: Settings,
    server: PostgresServer | None,
    spark: Any,
) -> None:
    import duckdb

    manifest = work_dir / REFERENCE / "target" / "manifest.json"
    report.marts = marts_from_manifest(manifest)
    duck = duckdb.connect(str(settings.warehouse_path), read_only=True)
    pg = server.connect() if server is not None else None
    try:
        for mart in report.marts:
            label = f"{mart.schema}.{mart.name}"
            try:
                reference = read_duckdb(duck, mart)
                kinds = duckdb_kinds(duck, mart)
            except Exception as exc:  # the reference build failed for this mart
                for engine in engines[1:]:
                    report.diffs.append(MartDiff(label, engine, 0, 0, error=f"{REFERENCE}: {exc}"))
                continue
            for engine in engines[1:]:
                try:
                    if engine == "postgres":
                        other = read_postgres(pg, mart)
                    elif engine == "spark":
                        other = read_spark(spark, mart)
                    else:
                        raise ValueError(f"unknown engine {engine}")
                except Exception as exc:
                    if engine == "postgres" and pg is not None:
                        pg.rollback()
                    first = str(exc).strip().splitlines()[0] if str(exc).strip() else repr(exc)
                    report.diffs.append(
                        MartDiff(label, engine, 0, len(reference.rows), error=first[:300])
                    )
                    continue
                report.diffs.append(
                    compare_tables(label, engine, reference, other, kinds, mart.key)
                )
    finally:
        duck.close()
        if pg is not None:
            pg.close()
