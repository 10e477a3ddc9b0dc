"""The refresh: generate demo data when landing/ is empty, load with
validation, dbt build, then publish. Each step is timed; a failing step stops
the run with a message that says what to look at."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from crm_warehouse.settings import Settings

#: Told (step name, 'started' or the step's final status, seconds or None) when
#: a refresh step starts and ends; the CLI sets it to print progress lines when
#: its output is not a terminal.
StepObserver = Callable[[str, str, float | None], None]
STEP_OBSERVER: ContextVar[StepObserver | None] = ContextVar("step_observer", default=None)


def _notify_step(name: str, status: str, seconds: float | None) -> None:
    observer = STEP_OBSERVER.get()
    if observer is not None:
        observer(name, status, seconds)


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
        _notify_step(name, "started", None)
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
            _notify_step(name, record.status, record.seconds)

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
    full_refresh: bool = False,
    unit_tests: bool = False,
) -> RunReport:
    """Run the whole job on `settings` and return its report.

    After loading, the refresh builds only what changed since the last
    successful one (crm_warehouse.changes): nothing when nothing changed (the
    report's status is then "up to date" and nothing is recorded or
    published), what depends on the raw tables that received rows, the models
    whose files changed; everything with `full_refresh` (dbt's --full-refresh
    too). Unit tests run only with `unit_tests` (they test the code: the test
    command and CI run them).

    Raises StepFailed when a step fails (the report so far is on the exception's
    `report` attribute), and lock.LockBusy, before doing anything, when another
    refresh, import or publish holds the warehouse's lock.
    """
    from crm_warehouse.lock import warehouse_lock

    with warehouse_lock(settings.warehouse_path, "refresh"):
        options = _Options(dbt_args or [], full_refresh, unit_tests)
        return _refresh(settings, scale, seed, progress, on_dbt_node, options)


@dataclass(frozen=True)
class _Options:
    """How the caller wants the build run."""

    dbt_args: list[str]
    full_refresh: bool
    unit_tests: bool

    def build_args(self, selection: list[str]) -> list[str]:
        """dbt build arguments: the plan's selection, then refresh_build_args."""
        return refresh_build_args(
            [*selection, *self.dbt_args], full_refresh=self.full_refresh, unit_tests=self.unit_tests
        )


def refresh_build_args(
    args: list[str], *, full_refresh: bool = False, unit_tests: bool = False
) -> list[str]:
    """The `dbt build` arguments a refresh passes: `args`, --full-refresh when
    asked, and no unit tests unless asked for (they test the code, and run in
    `make test` and CI). The benchmark builds with these too."""
    args = list(args)
    if full_refresh and "--full-refresh" not in args:
        args.append("--full-refresh")
    if not unit_tests and "--exclude-resource-type" not in args:
        args += ["--exclude-resource-type", "unit_test"]
    return args


def _refresh(
    settings: Settings,
    scale: float,
    seed: int,
    progress: Progress | None,
    on_dbt_node: Callable[[Any], None] | None,
    options: _Options,
) -> RunReport:
    from crm_warehouse.changes import BUILD, UP_TO_DATE
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

        plan, state = _plan(settings, report, options)
        if plan.action == UP_TO_DATE:
            report.status = UP_TO_DATE
            return report
        changed, manifest = _build(settings, report, plan, options, on_dbt_node)
        if plan.action == BUILD:  # its merges may have left deleted rows
            _compact(settings, report)
        _serve(settings, report, progress, changed, plan, manifest)
        report.summary["build_state"] = _published_state(settings, state)
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
        if report.status != "up to date":  # changes.UP_TO_DATE: nothing to record
            _record(settings, report)


def _build(
    settings: Settings,
    report: RunReport,
    plan: Any,
    options: _Options,
    on_dbt_node: Callable[[Any], None] | None,
) -> tuple[set[str] | None, Any]:
    """Freshness and the dbt build of the plan; returns the relations the build
    wrote when it built a selection (set() when it built nothing), None when it
    built everything, and the Manifest the build ran on (None without one)."""
    from crm_warehouse.build import dbt_build
    from crm_warehouse.changes import BUILD, dbt_selection_args

    if plan.action != BUILD:
        with report.step("dbt build") as rec:
            rec.status = "skipped"
            rec.details = {"reason": "; ".join(plan.reasons)}
        return set(), None
    manifest = _check_freshness(settings, report, plan)
    with report.step("dbt build") as rec:
        selection = dbt_selection_args(settings, plan)
        build_args = options.build_args(selection)
        result = dbt_build(settings, extra_args=build_args, on_node=on_dbt_node, manifest=manifest)
        node_seconds: dict[str, float] = {}
        for n in result.nodes:
            node_seconds[n.resource_type] = node_seconds.get(n.resource_type, 0) + n.seconds
        rec.details = {
            "counts": result.counts(),
            "args": build_args,
            "node_seconds": {k: round(v, 2) for k, v in sorted(node_seconds.items())},
        }
        if result.retried_alone:
            rec.details["retried_alone"] = result.retried_alone
            rec.details["retries"] = result.retries
        warned = result.warned_tests()
        if warned:  # named in the summary printed after the run (runlog.warned_lines)
            rec.details["warned_tests"] = warned
        report.summary.update(_named_findings(settings))
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
        _keep_state(settings)
    if not selection:
        return None, result.manifest
    return {n.relation for n in result.nodes if _wrote(n) and n.relation}, result.manifest


def _compact(settings: Settings, report: RunReport) -> None:
    """Rewrite the tables the build's merges left with many deleted rows
    (crm_warehouse.compact); the step is skipped when
    CRM_COMPACT_DELETED_SHARE is 'off'."""
    from crm_warehouse.compact import compact

    with report.step("compact") as rec:
        result = compact(settings.warehouse_path)
        rec.details = result.to_dict()
        if result.share is None:
            rec.status = "skipped"


def _plan(settings: Settings, report: RunReport, options: _Options) -> tuple[Any, dict[str, Any]]:
    """What changed since the last successful refresh, and so what to build
    (crm_warehouse.changes.plan); the plan goes into the report's summary."""
    from crm_warehouse.changes import plan

    with report.step("changes") as rec:
        chosen, state = plan(settings, options.dbt_args, options.full_refresh)
        rec.details = chosen.to_dict()
    report.summary["plan"] = chosen.to_dict()
    report.summary["last_run_id"] = chosen.last_run_id
    report.summary["last_finished_at"] = chosen.last_finished_at
    return chosen, state


def _wrote(node: Any) -> bool:
    """True for a dbt node that (re)wrote a relation: a model, seed or snapshot that succeeded."""
    return node.resource_type in ("model", "seed", "snapshot") and node.status == "success"


def _keep_state(settings: Settings) -> None:
    """Keep the manifest of this successful build for the next one's state:modified."""
    from crm_warehouse.changes import keep_manifest

    keep_manifest(settings)


def _published_state(settings: Settings, state: dict[str, Any]) -> dict[str, Any]:
    """The state this run built from, with the file it published (see changes.py)."""
    from crm_warehouse.changes import published_stamp

    return {**state, "published": published_stamp(settings)}


def _check_freshness(settings: Settings, report: RunReport, plan: Any = None) -> Any:
    """Source freshness of the raw tables before the build: a source past its
    error_after threshold stops the run (CRM_SKIP_FRESHNESS=1 builds anyway).
    In one query (crm_warehouse.freshness) on the thresholds of the manifest
    the last build kept when the project is unchanged since, else on those of
    a `dbt parse` run now, whose Manifest is returned for the build to reuse
    (None when no parse ran)."""
    import os

    if os.environ.get("CRM_SKIP_FRESHNESS", "").lower() in ("1", "true", "yes"):
        return None
    manifest = None
    with report.step("freshness") as rec:
        verdicts = _fast_freshness(settings, plan)
        if verdicts is None:
            manifest, verdicts = _parsed_freshness(settings, rec)
        else:
            rec.details["query"] = "one"
        empty = [uid for uid, status in verdicts if status == "empty"]
        stale = [uid for uid, status in verdicts if status == "error"]
        warned = [uid for uid, status in verdicts if status == "warn"]
        rec.details.update(
            fresh=sum(status == "pass" for _, status in verdicts),
            warn=len(warned),
            stale=len(stale),
            empty=len(empty),
        )
        if warned:
            rec.details["warned"] = [uid.split(".")[-1] for uid in warned]
        if stale:
            rec.status = "failed"
            names = ", ".join(uid.split(".")[-1] for uid in stale)
            raise StepFailed(
                "freshness",
                f"raw table(s) not loaded within their error_after window: {names}. "
                "Land fresh exports in the landing folder, or set CRM_SKIP_FRESHNESS=1 "
                "to build on the data you have (the step's details list each source).",
            )
    return manifest


def _fast_freshness(settings: Settings, plan: Any) -> list[tuple[str, str]] | None:
    """(source, verdict) from one query, when the plan says the kept manifest
    describes the project; None otherwise."""
    from crm_warehouse.changes import state_dir
    from crm_warehouse.freshness import check

    if plan is None or not getattr(plan, "manifest_current", False):
        return None
    verdicts = check(settings.warehouse_path, state_dir(settings) / "manifest.json")
    return None if verdicts is None else [(v.unique_id, v.status) for v in verdicts]


def _parsed_freshness(settings: Settings, rec: Any) -> tuple[Any, list[tuple[str, str]]]:
    """(Manifest or None, verdicts): `dbt parse`, then the one-query check on
    the manifest it wrote; `dbt source freshness` when the parse fails (its
    error is then dbt's) or the warehouse cannot be queried that way."""
    from crm_warehouse.build import parse, target_path
    from crm_warehouse.freshness import check

    parsed = parse(settings)
    if parsed.success:
        verdicts = check(settings.warehouse_path, target_path(settings) / "manifest.json")
        if verdicts is not None:
            rec.details["query"] = "one, after dbt parse"
            return parsed.output, [(v.unique_id, v.status) for v in verdicts]
    return (parsed.output if parsed.success else None), _dbt_freshness(settings)


def _dbt_freshness(settings: Settings) -> list[tuple[str, str]]:
    """(source, verdict) from `dbt source freshness`; a source without a row is "empty"."""
    from crm_warehouse.build import run_dbt

    # dbt would print every empty source as "ERROR STALE": the step details say it better.
    result = run_dbt(settings, ["source", "freshness", "--log-level", "none"])
    empty = _empty_sources(settings)
    return [(n.unique_id, "empty" if n.unique_id in empty else n.status) for n in result.nodes]


#: What the summary names after a build, from the data-quality marts whose
#: tests warn about it: its key in the run report's summary, the query, and
#: how a row reads, e.g. "opportunities.stage_name = 'pending legal review'
#: (2)" (a raw value no seed maps) or "default 2016 (23,807 cases opened)" (a
#: year seeds/business_holidays.csv lists no holiday for).
_FINDINGS: tuple[tuple[str, str, Callable[..., str]], ...] = (
    (
        "unmapped_values",
        "select table_name || '.' || column_name, raw_value, records "
        "from data_quality.dq_unmapped_values order by 1, 2",
        lambda column, value, count: f"{column} = '{value}' ({count})",
    ),
    (
        "years_without_holidays",
        "select schedule_id, calendar_year, cases_opened "
        "from data_quality.dq_business_holiday_years "
        "where has_no_holidays_listed order by 1, 2",
        lambda schedule, year, opened: f"{schedule} {year} ({opened:,} cases opened)",
    ),
)


def _named_findings(settings: Settings) -> dict[str, list[str]]:
    """Each finding of _FINDINGS the warehouse holds rows for, by its summary
    key, read in one read-only connection; a mart not built names nothing."""
    import duckdb

    found: dict[str, list[str]] = {}
    try:
        con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    except duckdb.Error:
        return found
    with con:
        for key, sql, line in _FINDINGS:
            try:
                rows = con.execute(sql).fetchall()
            except duckdb.Error:
                continue
            if rows:
                found[key] = [line(*row) for row in rows]
    return found


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


def _serve(
    settings: Settings,
    report: RunReport,
    progress: Progress | None,
    changed: set[str] | None = None,
    plan: Any = None,
    manifest: Any = None,
) -> None:
    """After a green build: the saved queries' tables, publish the BI file and
    Parquet, draw the dashboard, generate the dbt docs beside it. `changed`: the
    relations the build wrote, when it built a selection; the publish then
    replaces only those tables (and the saved queries' tables, rewritten every
    run) of the file the last run published (when that file is intact).
    `manifest`, the build's, spares the docs a parse."""
    from crm_warehouse.privacy import restrict_published
    from crm_warehouse.semantic.exports import materialise_saved_queries
    from crm_warehouse.serve.dashboard import write_dashboard
    from crm_warehouse.serve.publish import PublishError, publish, publish_docs

    materialise_saved_queries(settings, report)  # schema metrics, published below
    only = changed if plan is not None and plan.published_intact else None
    with report.step("publish") as rec:
        try:
            result = publish(settings, run_report=report, progress=progress, changed=only)
        except PublishError as exc:
            raise StepFailed(
                "publish", f"{exc} (the previously published marts are untouched)"
            ) from exc
        rec.details = {
            "tables": len(result.tables),
            "copied": result.copied,
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
        index = settings.publish_dir / "docs" / "index.html"
        if only is not None and index.is_file() and "state:modified+" not in plan.select:
            # the project did not change: the docs of the last run still describe it
            rec.status = "skipped"
            docs = index
        else:
            docs = publish_docs(settings, manifest)
        rec.details = {"path": str(docs)}
        report.summary["docs"] = str(docs)
    restrict_published(settings.publish_dir)  # the dashboard too: owner and group only


def _record(settings: Settings, report: RunReport) -> None:
    """Totals into the summary and the whole run into ops.refresh_runs/steps."""
    from crm_warehouse.serve.runlog import record_run, run_totals

    report.summary["totals"] = run_totals(report)
    problem = record_run(settings.warehouse_path, report)
    if problem:
        report.summary["run_log_error"] = problem
