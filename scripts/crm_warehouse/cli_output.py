"""What the command line prints about a load, a dbt build and a refresh, and the
exits it takes on rejects or a missing landing folder (crm_warehouse.cli)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from crm_warehouse.terminal import PlainConsole, one_line

console = PlainConsole(stderr=True)
out = PlainConsole()

#: Exit code of `load` and `refresh` when the run finished but files were
#: rejected or rows quarantined (0: clean, 1: a step failed). docs/loading.md.
EXIT_REJECTS = 3


def exit_on_rejects(totals: dict[str, Any], allow: bool) -> None:
    """Exit EXIT_REJECTS when the load rejected files or quarantined rows,
    unless `allow` (--allow-rejects)."""
    files = int(totals.get("files_rejected") or 0)
    rows = int(totals.get("rows_quarantined") or 0)
    if not files and not rows:
        return
    what = " and ".join(
        part
        for part, n in (
            (f"{files:,} file(s) rejected", files),
            (f"{rows:,} row(s) quarantined", rows),
        )
        if n
    )
    if allow:
        console.print(
            f"{what} (accepted: --allow-rejects)", markup=False, highlight=False, soft_wrap=True
        )
        return
    console.print(
        f"{what}: see quarantine/ and the messages above; exit code {EXIT_REJECTS}"
        " (pass --allow-rejects to exit 0)",
        markup=False,
        highlight=False,
        soft_wrap=True,
    )
    raise typer.Exit(EXIT_REJECTS)


def require_landing(landing: Path) -> None:
    """Exit 2, naming the folder, when the landing folder does not exist: a
    mistyped --landing or CRM_LANDING_DIR must not pass for "nothing new"."""
    if landing.is_dir():
        return
    what = "is not a folder" if landing.exists() else "does not exist"
    console.print(
        f"landing folder {landing} {what}: nothing loaded. Land the CRM exports there "
        "(one folder per table, docs/loading.md), or run `crm-warehouse generate` for demo "
        "data; --landing or CRM_LANDING_DIR name another folder.",
        style="bold red",
        highlight=False,
        soft_wrap=True,
    )
    raise typer.Exit(2)


def print_load_summary(data: dict[str, Any]) -> None:
    for f in data.get("files", []):
        for message in f.get("messages", []):
            console.print(one_line(message), style="yellow")
    totals = data.get("totals", {})
    out.print(
        "Load: "
        + ", ".join(f"{k.replace('_', ' ')} {v:,}" for k, v in totals.items() if isinstance(v, int))
    )


def print_dbt(result: Any) -> None:
    counts = result.counts()
    if counts:
        out.print("dbt: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    for p in result.problems():
        colour = "yellow" if p.status == "warn" else "red"
        console.print(f"{p.status}: {p.unique_id}: {(p.message or '').strip()[:400]}", style=colour)
    if result.error:
        console.print(str(result.error), style="red")


def print_run(data: dict[str, Any]) -> None:
    table = Table(title=f"Refresh {data['run_id']}: {data['status']}")
    table.add_column("step")
    table.add_column("status")
    table.add_column("seconds", justify="right")
    table.add_column("details")
    for s in data["steps"]:
        details = ", ".join(
            f"{k}={v}"
            for k, v in s["details"].items()
            if k != "warned_tests"  # named in the summary lines below
        )
        table.add_row(s["name"], s["status"], f"{s['seconds']:.1f}", details[:200])
    out.print(table)
    from crm_warehouse.serve.runlog import summary_lines

    for line in summary_lines(data):
        out.print(line, highlight=False)
