"""`crm-warehouse`: the command-line tool. Each subcommand has --help."""

from __future__ import annotations

import gc
import json
import sys
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.progress import Progress
from rich.table import Table

from crm_warehouse.cli_options import (
    LandingOpt,
    PublishDirOpt,
    VersionOpt,
    WarehouseOpt,
    WindowStartOpt,
    WindowYearsOpt,
    command_settings,
    with_date_window,
    with_publish_dir,
)
from crm_warehouse.cli_output import (
    EXIT_REJECTS,
    console,
    exit_on_rejects,
    out,
    print_dbt,
    print_load_summary,
    print_run,
    require_landing,
)
from crm_warehouse.settings import Settings, disable_telemetry
from crm_warehouse.terminal import (
    ProgressLines,
    Reporter,
    progress_bars,
    progress_lines,
    step_lines,
)

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="CRM KPI warehouse: generate demo data, load and validate CRM exports, build the KPI marts with dbt.",
)


def _progress() -> Progress:
    return progress_bars(console)


def _progress_lines() -> ProgressLines | None:
    return progress_lines(console)


def _reporter(progress: Progress, lines: ProgressLines | None = None) -> Reporter:
    return Reporter(progress, lines if lines is not None else _progress_lines())


@app.command()
def generate(
    scale: Annotated[
        float, typer.Option(help="1 is about a million rows across all tables.")
    ] = 1.0,
    seed: Annotated[
        int, typer.Option(help="Random seed: the same seed gives the same bytes.")
    ] = 42,
    landing: LandingOpt = None,
) -> None:
    """Generate realistic, messy demo CRM exports into the landing folder."""
    from crm_warehouse.generate import generate as run_generate

    settings = command_settings(landing)
    with _progress() as progress:
        report = run_generate(
            settings.landing_dir, scale=scale, seed=seed, progress=_reporter(progress)
        )
    data = report.to_dict()
    table = Table(title=f"Generated into {settings.landing_dir} (scale {scale}, seed {seed})")
    for col in ("table", "rows written", "records", "malformed", "exact dups", "superseded"):
        table.add_column(col, justify="right" if col != "table" else "left")
    for name, t in data.get("tables", {}).items():
        malformed = t.get("malformed_rows", {})
        table.add_row(
            name,
            f"{t.get('rows_written', 0):,}",
            f"{t.get('records', 0):,}",
            f"{sum(malformed.values()) if isinstance(malformed, dict) else malformed:,}",
            f"{t.get('exact_duplicates', 0):,}",
            f"{t.get('superseded_versions', 0):,}",
        )
    out.print(table)


@app.command()
def contract(
    markdown: Annotated[
        bool, typer.Option("--markdown", help="Print the Markdown reference.")
    ] = False,
) -> None:
    """Show the raw contract: the tables and columns a CRM export must provide."""
    from crm_warehouse.ingest.contract import contract_markdown, load_contract

    c = load_contract()
    if markdown:
        sys.stdout.write(contract_markdown(c))
        return
    table = Table(title="Raw contract (models/staging/crm/_crm__sources.yml)")
    for col in ("table", "key", "columns", "required"):
        table.add_column(col)
    for t in c.tables:
        table.add_row(t.name, t.primary_key, str(len(t.columns)), ", ".join(t.required_columns))
    out.print(table)


AllowRejectsOpt = Annotated[
    bool,
    typer.Option(
        "--allow-rejects",
        help=f"Exit 0 even when files were rejected or rows quarantined (else {EXIT_REJECTS}).",
    ),
]


@app.command()
def load(
    landing: LandingOpt = None,
    warehouse: WarehouseOpt = None,
    allow_rejects: AllowRejectsOpt = False,
    date_window_start: WindowStartOpt = None,
    date_window_years_ahead: WindowYearsOpt = None,
) -> None:
    """Validate every landed file with Great Expectations and append it to raw.<table>.

    Rejected files and rows go to quarantine/ with their reasons; a file already
    loaded (same content hash) is skipped. Exits 3 when files were rejected or
    rows quarantined (0 with --allow-rejects), 75 when a refresh, import, build
    or publish of the warehouse is running.
    """
    from crm_warehouse.ingest.load import load_landing
    from crm_warehouse.lock import LockBusy, warehouse_lock

    settings = with_date_window(
        command_settings(landing, warehouse), date_window_start, date_window_years_ahead
    )
    require_landing(settings.landing_dir)
    try:
        with warehouse_lock(settings.warehouse_path, "load"), _progress() as progress:
            summary = load_landing(settings, progress=_reporter(progress))
    except LockBusy as exc:
        _locked(exc)
    print_load_summary(summary.to_dict())
    exit_on_rejects(summary.totals, allow_rejects)


@app.command()
def build(
    select: Annotated[str | None, typer.Option(help="dbt --select expression.")] = None,
    full_refresh: Annotated[
        bool, typer.Option(help="Rebuild incremental models from scratch.")
    ] = False,
    warehouse: WarehouseOpt = None,
) -> None:
    """Run `dbt build` (seeds, models, unit tests, data tests) through dbt's programmatic runner."""
    from crm_warehouse.build import dbt_build
    from crm_warehouse.compact import compact
    from crm_warehouse.lock import LockBusy, warehouse_lock

    settings = command_settings(warehouse=warehouse)
    args: list[str] = []
    if select:
        args += ["--select", select]
    if full_refresh:
        args.append("--full-refresh")
    try:
        with warehouse_lock(settings.warehouse_path, "build"), _progress() as progress:
            task = progress.add_task("dbt build", total=None)
            lines = _progress_lines()

            def on_node(node: Any) -> None:
                progress.advance(task)
                if lines is not None:
                    lines.node(node.status)

            result = dbt_build(settings, extra_args=args, on_node=on_node)
            if lines is not None and lines.nodes:
                lines.nodes_line()
            # as a refresh does: rewrite the tables the merges filled with deleted rows
            compaction = compact(settings.warehouse_path) if result.success else None
    except LockBusy as exc:
        _locked(exc)
    print_dbt(result)
    if compaction is not None and (compaction.rewritten or compaction.failed):
        out.print("compact: " + ", ".join(f"{k}={v}" for k, v in compaction.to_dict().items()))
    if not result.success:
        raise typer.Exit(1)


@app.command()
def refresh(
    scale: Annotated[
        float, typer.Option(help="Scale of demo data generated when landing/ is empty.")
    ] = 1.0,
    seed: Annotated[
        int, typer.Option(help="Seed of demo data generated when landing/ is empty.")
    ] = 42,
    landing: LandingOpt = None,
    warehouse: WarehouseOpt = None,
    json_report: Annotated[
        bool, typer.Option("--json", help="Print the run report as JSON.")
    ] = False,
    allow_rejects: AllowRejectsOpt = False,
    date_window_start: WindowStartOpt = None,
    date_window_years_ahead: WindowYearsOpt = None,
    full_refresh: Annotated[
        bool,
        typer.Option(
            help="Build and publish everything, incremental models from scratch, whatever changed."
        ),
    ] = False,
    unit_tests: Annotated[
        bool, typer.Option(help="Run dbt's unit tests too (make test and CI always do).")
    ] = False,
) -> None:
    """The whole job: generate demo data if landing/ is empty, load and validate, dbt build, summary.

    Builds only what changed since the last successful refresh: the models that
    depend on raw tables that received rows and those whose files changed;
    nothing ("up to date") when nothing did (docs/performance.md).
    Exits 3 when the load rejected files or quarantined rows (0 with --allow-rejects).
    """
    settings = with_date_window(
        command_settings(landing, warehouse), date_window_start, date_window_years_ahead
    )
    data = _refresh_with_progress(
        settings, scale=scale, seed=seed, full_refresh=full_refresh, unit_tests=unit_tests
    )
    if json_report:
        out.print_json(json.dumps(data, default=str))
    elif data["status"] == "up to date":
        summary = data.get("summary") or {}
        out.print(
            f"up to date: nothing landed and nothing changed since refresh "
            f"{summary.get('last_run_id')} ({summary.get('last_finished_at')} UTC)",
            highlight=False,
        )
    else:
        print_run(data)
    exit_on_rejects(_load_details(data), allow_rejects)


def _load_details(run: dict[str, Any]) -> dict[str, Any]:
    """The load step's counts of a refresh report ({} when it did not load)."""
    step = next((s for s in run.get("steps", []) if s.get("name") == "load"), None)
    return step["details"] if step else {}


@app.command("import")
def import_(
    ctx: typer.Context,
    mapping: Annotated[
        Path, typer.Option(help="Mapping file (YAML); see docs/import.md and mappings/.")
    ],
    source: Annotated[Path, typer.Option(help="Folder holding the CRM export's files.")],
    workdir: Annotated[
        Path | None,
        typer.Option(help="Warehouse folder of this import (default: imports/<mapping name>/)."),
    ] = None,
    fresh: Annotated[
        bool, typer.Option(help="Delete the import's folder first (a clean warehouse).")
    ] = False,
    check: Annotated[
        bool, typer.Option(help="Only check the mapping against the contract and the files.")
    ] = False,
    allow_rejects: AllowRejectsOpt = False,
) -> None:
    """Import a real CRM export through a mapping file, then load, build and publish it
    in a warehouse of its own (never mixed with the demo data).

    Exits 3 when the load rejected files or quarantined rows (0 with --allow-rejects).
    """
    from crm_warehouse.imports.importer import (
        check_export,
        default_workdir,
        import_export,
        import_settings,
    )
    from crm_warehouse.imports.spec import MappingError
    from crm_warehouse.lock import LockBusy, clear_folder, warehouse_lock

    try:
        if check:
            checked = check_export(mapping, source)
            for note in checked.notes:
                out.print(f"note: {note}")
            for warning in checked.warnings:
                console.print(warning, style="yellow")
            out.print(f"{mapping}: the mapping fits the contract and the files in {source}")
            return
        wd = (workdir or default_workdir(mapping)).resolve()
        # One import (or refresh, or publish) of a workdir at a time, from before
        # --fresh empties it to the end of the command (released when it ends).
        lock_file = ctx.with_resource(warehouse_lock(import_settings(wd).warehouse_path, "import"))
        if fresh and wd.exists():
            clear_folder(wd, keep=lock_file)
        with _progress() as progress:
            result = import_export(mapping, source, wd, progress=_reporter(progress))
    except MappingError as exc:
        console.print(str(exc), style="bold red")
        raise typer.Exit(2) from exc
    except LockBusy as exc:
        _locked(exc)
    for note in result.notes:
        out.print(f"note: {note}")
    for warning in result.warnings:
        console.print(warning, style="yellow")
    out.print(
        "Imported: "
        + ", ".join(f"{e} {i.rows_written:,}" for e, i in result.entities.items())
        + f" into {wd / 'landing'}"
    )
    run = _refresh_with_progress(import_settings(wd))
    print_run(run)
    exit_on_rejects(_load_details(run), allow_rejects)


def _locked(exc: Exception) -> NoReturn:
    """Another refresh, import or publish holds the lock: say who, exit EXIT_LOCKED."""
    from crm_warehouse.lock import EXIT_LOCKED

    console.print(str(exc), style="bold red", markup=False, highlight=False, soft_wrap=True)
    raise typer.Exit(EXIT_LOCKED) from exc


def _refresh_with_progress(settings: Settings, **kwargs: Any) -> dict[str, Any]:
    """Run the refresh with a progress display; on a failed step print what ran
    and why, and exit 1."""
    from crm_warehouse.lock import LockBusy
    from crm_warehouse.pipeline import STEP_OBSERVER, StepFailed
    from crm_warehouse.pipeline import refresh as run_refresh

    lines = _progress_lines()
    observing = STEP_OBSERVER.set(step_lines(lines) if lines is not None else None)
    try:
        with _progress() as progress:
            dbt_task = progress.add_task("dbt build", total=None, visible=False)

            def on_node(node: Any) -> None:
                progress.update(dbt_task, visible=True)
                progress.advance(dbt_task)
                if lines is not None:
                    lines.node(node.status)

            report = run_refresh(
                settings, progress=_reporter(progress, lines), on_dbt_node=on_node, **kwargs
            )
    except StepFailed as exc:
        partial = getattr(exc, "report", None)
        if partial is not None:
            print_run(partial.to_dict())
        console.print(str(exc), style="bold red")
        raise typer.Exit(1) from exc
    except LockBusy as exc:
        _locked(exc)
    finally:
        STEP_OBSERVER.reset(observing)
    return report.to_dict()


@app.command()
def publish(
    warehouse: WarehouseOpt = None,
    publish_dir: PublishDirOpt = None,
    docs: Annotated[bool, typer.Option(help="Also run dbt docs generate into docs/.")] = False,
) -> None:
    """Publish the marts for BI tools: crm_marts.duckdb (marts only, no personal
    data, readable by DuckDB 1.4+, swapped in atomically) and one Parquet file per mart."""
    from crm_warehouse.lock import LockBusy, publish_lock
    from crm_warehouse.serve.publish import PublishError, publish_docs
    from crm_warehouse.serve.publish import publish as run_publish

    settings = with_publish_dir(command_settings(warehouse=warehouse), publish_dir)
    try:
        with publish_lock(settings.warehouse_path, settings.publish_dir), _progress() as progress:
            result = run_publish(settings, progress=_reporter(progress))
            site = publish_docs(settings) if docs else None
    except PublishError as exc:
        console.print(f"publish failed: {exc}", style="bold red")
        raise typer.Exit(1) from exc
    except LockBusy as exc:
        _locked(exc)
    table = Table(title=f"Published {result.marts_file} (storage {result.storage_version})")
    table.add_column("table")
    table.add_column("rows", justify="right")
    table.add_column("withheld columns")
    for t in result.tables:
        table.add_row(t.name, f"{t.rows:,}", ", ".join(t.withheld_columns))
    out.print(table)
    out.print(
        f"Parquet: {result.parquet_dir}; seconds: "
        + ", ".join(f"{k} {v:.2f}" for k, v in result.seconds.items()),
        highlight=False,
    )
    if site:
        out.print(f"dbt docs: {site}", highlight=False)


@app.command()
def dashboard(
    publish_dir: PublishDirOpt = None,
    currency: Annotated[str, typer.Option(help="Reporting currency shown on the page.")] = "USD",
) -> None:
    """Draw the KPI dashboard (dashboard.html, one self-contained page) from the
    published marts file; charts whose entity the export lacks say "not in this
    export", charts whose marts are missing or empty show "no data". Exits 75
    while a publish into the folder (or another dashboard) runs."""
    from crm_warehouse.lock import LockBusy
    from crm_warehouse.serve.dashboard import write_dashboard
    from crm_warehouse.serve.publish import MARTS_FILE

    settings = with_publish_dir(command_settings(), publish_dir)
    marts = settings.publish_dir / MARTS_FILE
    if not marts.is_file():
        console.print(f"no {marts}: run `crm-warehouse publish` (or refresh) first", style="red")
        raise typer.Exit(1)
    try:
        result = write_dashboard(marts, settings.publish_dir / "dashboard.html", currency=currency)
    except LockBusy as exc:
        _locked(exc)
    from crm_warehouse.serve.runlog import kpi_lines

    for line in kpi_lines([k.to_dict() for k in result.kpis]):
        out.print(line, highlight=False)
    for line in result.missing:
        out.print(line, style="yellow", highlight=False)
    out.print(
        f"Dashboard: {result.path} ({result.charts_with_data}/{len(result.charts)} charts with data)",
        highlight=False,
    )


_RUN_COLUMNS = (
    "run",
    "started (UTC)",
    "seconds",
    "status",
    "failed step",
    "loaded",
    "quarantined",
    "tests pass/warn/fail",
)


@app.command()
def runs(
    limit: Annotated[int, typer.Option(help="How many of the latest runs.")] = 10,
    warehouse: WarehouseOpt = None,
    json_records: Annotated[
        bool,
        typer.Option(
            "--json", help="Print the runs as JSON: every column, the run report as an object."
        ),
    ] = False,
) -> None:
    """List the latest refreshes from the run log (ops.refresh_runs): a table on
    a terminal, tab-separated lines (one run a line, ids in full) elsewhere."""
    from crm_warehouse.serve.runlog import read_runs

    settings = command_settings(warehouse=warehouse)
    found = settings.warehouse_path.is_file()
    rows = read_runs(settings.warehouse_path, limit, with_report=json_records) if found else []
    if json_records:
        sys.stdout.write(json.dumps(rows, default=str, indent=2) + "\n")
        return
    cells = [
        (
            r["run_id"],
            str(r["started_at"])[:19],
            f"{r['seconds'] or 0:.0f}",
            r["status"],
            r["failed_step"] or "",
            f"{r['rows_loaded'] or 0:,}",
            f"{r['rows_quarantined'] or 0:,}",
            f"{r['tests_passed'] or 0}/{r['tests_warned'] or 0}/{r['tests_failed'] or 0}",
        )
        for r in rows
    ]
    if not out.is_terminal:
        for line in (_RUN_COLUMNS, *cells):
            sys.stdout.write("\t".join(line) + "\n")
        return
    table = Table(title=f"Refresh runs in {settings.warehouse_path}")
    for col in _RUN_COLUMNS:
        # a run id is what one copies: never folded or cut
        table.add_column(col, no_wrap=col == "run", min_width=12 if col == "run" else None)
    for row in cells:
        table.add_row(*row)
    out.print(table)


@app.command(
    context_settings={
        "allow_extra_args": True,
        "ignore_unknown_options": True,
        "help_option_names": [],
    },
)
def metrics(ctx: typer.Context) -> None:
    """MetricFlow's `mf` CLI on the warehouse ($CRM_DUCKDB_PATH), offline: every
    argument goes to mf, e.g. `crm-warehouse metrics query --metrics won_revenue
    --group-by metric_time__month`, `crm-warehouse metrics validate-configs`
    (docs/semantic_layer.md)."""
    from crm_warehouse.semantic.offline import run_mf

    raise typer.Exit(run_mf(command_settings(), ctx.args))


@app.callback()
def _main_options(version: VersionOpt = False) -> None:
    """CRM KPI warehouse: generate demo data, load and validate CRM exports, build the KPI marts with dbt."""


def main() -> None:
    """Entry point of the `crm-warehouse` command."""
    disable_telemetry()
    try:
        app()
    except KeyboardInterrupt:
        console.print("interrupted")
        sys.exit(130)
    finally:
        # Leave what dbt built in memory (its manifest, Jinja templates: about
        # 600,000 objects after an import) to the process's end: the
        # interpreter's exit would otherwise walk them all with its garbage
        # collector, 1.5 s after an import's last line (docs/performance.md).
        # atexit handlers and the flushing of output still run.
        gc.freeze()


if __name__ == "__main__":
    main()
