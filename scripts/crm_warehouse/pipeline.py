"""The refresh: generate demo data when landing/ is empty, load with
validation, dbt build, then publish. Each step is timed; a failing step stops
the run with a message that says what to look at."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from crm_warehouse.settings import Settings


class StepFailed(RuntimeError):
    """A refresh step failed; the message says what to look at."""

    def __init__(self, step: str, message: str) -> None:
        super().__init__(f"{step} failed: {message}")
        self.step = step


@dataclass
class StepRecord:
    """Duration and outcome of one refresh step."""

    name: str
    started_at: datetime
    seconds: float = 0.0
    status: str = "running"
    details: dict[str, Any] = field(default_factory=dict)


@dataclass
class RunReport:
    """What one refresh did, step by step."""

    run_id: str
    started_at: datetime
    steps: list[StepRecord] = field(default_factory=list)
    finished_at: datetime | None = None
    status: str = "running"
    #: What went wrong, for a failed run (also in ops.refresh_runs.message).
    message: str | None = None
    #: Totals, headline KPIs and output paths printed after the step table.
    summary: dict[str, Any] = field(default_factory=dict)

    @contextmanager
    def step(self, name: str) -> Iterator[StepRecord]:
        """Time a step; mark it failed (and re-raise) when it raises."""
        record = StepRecord(name=name, started_at=datetime.now(UTC))
        self.steps.append(record)
        t0 = time.perf_counter()
        try:
            yield record
        except BaseException:
            record.status = "failed"
            raise
        else:
            if record.status == "running":
                record.status = "ok"
        finally:
            record.seconds = time.perf_counter() - t0

    def to_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "started_at": self.started_at.isoformat(),
            "finished_at": self.finished_at.isoformat() if self.finished_at else None,
            "status": self.status,
            "message": self.message,
            "summary": self.summary,
            "steps": [
                {
                    "name": s.name,
                    "started_at": s.started_at.isoformat(),
                    "seconds": round(s.seconds, 3),
                    "status": s.status,
                    "details": s.details,
                }
                for s in self.steps
            ],
        }


def landing_is_empty(settings: Settings) -> bool:
    """True when landing/ holds no data file (a generation report alone does not count)."""
    if not settings.landing_dir.exists():
        return True
    return not any(
        p.is_file()
        and not p.name.startswith("_")
        # .seed_rows/ (an import's extra seed rows) and other dot folders hold no table data
        and not any(part.startswith(".") for part in p.relative_to(settings.landing_dir).parts)
        for p in settings.landing_dir.rglob("*")
    )


Progress = Callable[[str, int, int], None]


def refresh(
    settings: Settings,
    scale: float = 1.0,
    seed: int = 42,
    progress: Progress | None = None,
    on_dbt_node: Callable[[Any], None] | None = None,
    dbt_args: list[str] | None = None,
) -> RunReport:
    """Run the whole job on `settings` and return its report.

    Raises StepFailed when a step fails (the report so far is on the exception's
    `report` attribute), and lock.LockBusy, before doing anything, when another
    refresh, import or publish holds the warehouse's lock.
    """
    from crm_warehouse.lock import warehouse_lock

    with warehouse_lock(settings.warehouse_path, "refresh"):
        return _refresh(settings, scale, seed, progress, on_dbt_node, dbt_args)


def _refresh(
    settings: Settings,
    scale: float,
    seed: int,
    progress: Progress | None,
    on_dbt_node: Callable[[Any], None] | None,
    dbt_args: list[str] | None,
) -> RunReport:
    from crm_warehouse.build import dbt_build
    from crm_warehouse.ingest.load import load_landing

    report = RunReport(run_id=uuid.uuid4().hex[:12], started_at=datetime.now(UTC))
    try:
        if landing_is_empty(settings):
            from crm_warehouse.generate import generate

            with report.step("generate") as rec:
                gen = generate(settings.landing_dir, scale=scale, seed=seed, progress=progress)
                gen_dict = gen.to_dict()
                rec.details = {
                    "scale": scale,
                    "seed": seed,
                    "files": len(gen_dict.get("files", [])),
                    "rows_written": sum(
                        t.get("rows_written", 0) for t in gen_dict.get("tables", {}).values()
                    ),
                }

        with report.step("load") as rec:
            summary = load_landing(settings, progress=progress)
            totals = summary.to_dict().get("totals", {})
            rec.details = dict(totals)
            rejected = [
                f for f in summary.to_dict().get("files", []) if f.get("status") == "rejected"
            ]
            if rejected:
                rec.details["rejected_files"] = [f.get("path") for f in rejected]

        _check_freshness(settings, report)

        with report.step("dbt build") as rec:
            result = dbt_build(settings, extra_args=dbt_args, on_node=on_dbt_node)
            rec.details = {"counts": result.counts()}
            unmapped = _unmapped_values(settings)
            if unmapped:
                report.summary["unmapped_values"] = unmapped
            if not result.success:
                rec.status = "failed"
                problems = [p for p in result.problems() if p.status != "warn"]
                lines = [
                    f"{p.unique_id}: {p.status}: {(p.message or '').strip()[:300]}"
                    for p in problems[:10]
                ]
                hint = "\n".join(lines) or (result.error or "see target/ and logs/dbt.log")
                raise StepFailed(
                    "dbt build",
                    f"{len(problems)} node(s) failed; fix them and run again "
                    f"(the previously published marts are untouched):\n{hint}",
                )

        _serve(settings, report, progress)
        report.status = "ok"
        return report
    except StepFailed as exc:
        report.status = "failed"
        report.message = str(exc)
        exc.report = report  # type: ignore[attr-defined]
        raise
    except Exception as exc:
        report.status = "failed"
        step = report.steps[-1].name if report.steps else "refresh"
        failed = StepFailed(step, f"{type(exc).__name__}: {exc}")
        report.message = str(failed)
        failed.report = report  # type: ignore[attr-defined]
        raise failed from exc
    finally:
        report.finished_at = datetime.now(UTC)
        _record(settings, report)


def _check_freshness(settings: Settings, report: RunReport) -> None:
    """`dbt source freshness` on the raw tables before the build: a source past
    its error_after threshold stops the run (CRM_SKIP_FRESHNESS=1 builds anyway)."""
    import os

    from crm_warehouse.build import run_dbt

    if os.environ.get("CRM_SKIP_FRESHNESS", "").lower() in ("1", "true", "yes"):
        return
    with report.step("freshness") as rec:
        # dbt would print every empty source as "ERROR STALE": the step details say it better.
        result = run_dbt(settings, ["source", "freshness", "--log-level", "none"])
        empty = _empty_sources(settings)
        stale = [n for n in result.nodes if n.status == "error" and n.unique_id not in empty]
        warned = [n for n in result.nodes if n.status == "warn"]
        rec.details = {
            "fresh": sum(n.status == "pass" for n in result.nodes),
            "warn": len(warned),
            "stale": len(stale),
            "empty": len(empty),
        }
        if warned:
            rec.details["warned"] = [n.unique_id.split(".")[-1] for n in warned]
        if stale:
            rec.status = "failed"
            names = ", ".join(n.unique_id.split(".")[-1] for n in stale)
            raise StepFailed(
                "freshness",
                f"raw table(s) not loaded within their error_after window: {names}. "
                "Land fresh exports in the landing folder, or set CRM_SKIP_FRESHNESS=1 "
                "to build on the data you have (see target/sources.json).",
            )


def _unmapped_values(settings: Settings) -> list[str]:
    """The raw values no seed maps (data_quality.dq_unmapped_values), e.g.
    "opportunities.stage_name = 'pending legal review' (2)": what the build's
    unmapped-value warning is about, by name. [] when the mart is not built."""
    import duckdb

    try:
        with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
            rows = con.execute(
                "select table_name || '.' || column_name, raw_value, records "
                "from data_quality.dq_unmapped_values order by 1, 2"
            ).fetchall()
    except duckdb.Error:
        return []
    return [f"{column} = '{value}' ({count})" for column, value, count in rows]


def _empty_sources(settings: Settings) -> set[str]:
    """Sources without a single loaded row (dbt reports their max(_loaded_at) as
    year 1): a data set that lacks an entity, not a stale one."""
    import json

    from crm_warehouse.build import target_path

    path = target_path(settings) / "sources.json"
    try:
        results = json.loads(path.read_text()).get("results", [])
    except (OSError, ValueError):
        return set()
    return {
        str(r.get("unique_id"))
        for r in results
        if str(r.get("max_loaded_at") or "0001-").startswith("0001-")
    }


def _serve(settings: Settings, report: RunReport, progress: Progress | None) -> None:
    """After a green build: the saved queries' tables, publish the BI file and
    Parquet, draw the dashboard, generate the dbt docs beside it."""
    from crm_warehouse.semantic.exports import materialise_saved_queries
    from crm_warehouse.serve.dashboard import write_dashboard
    from crm_warehouse.serve.publish import PublishError, publish, publish_docs

    materialise_saved_queries(settings, report)  # schema metrics, published below
    with report.step("publish") as rec:
        try:
            result = publish(settings, run_report=report, progress=progress)
        except PublishError as exc:
            raise StepFailed(
                "publish", f"{exc} (the previously published marts are untouched)"
            ) from exc
        rec.details = {
            "tables": len(result.tables),
            "rows": result.rows,
            "seconds": {k: round(v, 2) for k, v in result.seconds.items()},
        }
        if result.warnings:
            rec.details["warnings"] = result.warnings
        report.summary["marts_file"] = str(result.marts_file)
        report.summary["parquet_dir"] = str(result.parquet_dir)

    with report.step("dashboard") as rec:
        dash = write_dashboard(result.marts_file, settings.publish_dir / "dashboard.html")
        rec.details = {"charts": len(dash.charts), "with_data": dash.charts_with_data}
        if dash.missing:
            rec.details["no_data"] = dash.missing
        report.summary["dashboard"] = str(dash.path)
        report.summary["kpis"] = [k.to_dict() for k in dash.kpis]

    with report.step("docs") as rec:
        docs = publish_docs(settings)
        rec.details = {"path": str(docs)}
        report.summary["docs"] = str(docs)


def _record(settings: Settings, report: RunReport) -> None:
    """Totals into the summary and the whole run into ops.refresh_runs/steps."""
    from crm_warehouse.serve.runlog import record_run, run_totals

    report.summary["totals"] = run_totals(report)
    problem = record_run(settings.warehouse_path, report)
    if problem:
        report.summary["run_log_error"] = problem
