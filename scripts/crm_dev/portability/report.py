"""The portability check's outcome: every engine's build and every mart's
comparison, as a plain-text table and as CSV."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from crm_dev.portability.compare import Mart, MartDiff
from crm_dev.portability.dbt_runs import EngineRun
from crm_dev.portability.engines import REFERENCE


@dataclass
class CheckReport:
    """Outcome of a portability check."""

    builds: dict[str, EngineRun] = field(default_factory=dict)
    diffs: list[MartDiff] = field(default_factory=list)
    marts: list[Mart] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return all(b.success for b in self.builds.values()) and all(d.ok for d in self.diffs)


def format_report(report: CheckReport, engines: Sequence[str]) -> str:
    """A plain-text table: one line per mart with its rows on the reference and,
    per other engine, 'ok' or the count of differing/missing/extra rows; then
    the first difference of every mart that differs."""
    others = [e for e in engines if e != REFERENCE]
    by = {(d.mart, d.engine): d for d in report.diffs}
    name_width = max([len(f"{m.schema}.{m.name}") for m in report.marts] + [4])
    header = f"{'mart':<{name_width}}  {'rows':>7}" + "".join(f"  {e:<22}" for e in others)
    lines = [header, "-" * len(header)]
    details: list[str] = []
    for mart in report.marts:
        label = f"{mart.schema}.{mart.name}"
        ref_rows = next((d.reference_rows for d in report.diffs if d.mart == label), 0)
        cells = []
        for engine in others:
            d = by.get((label, engine))
            if d is None:
                cells.append("-")
            elif d.error:
                cells.append("ERROR")
                details.append(f"{label} on {engine}: {d.error}")
            elif d.ok:
                cells.append(f"ok ({d.rows})")
            else:
                cells.append(f"{d.rows} rows, {d.differing} diff, {d.missing}-/{d.extra}+")
                details.append(f"{label} on {engine}: {d.first_difference}")
        lines.append(f"{label:<{name_width}}  {ref_rows:>7}" + "".join(f"  {c:<22}" for c in cells))
    ok_count = sum(1 for d in report.diffs if d.ok)
    lines.append("")
    lines.append(f"{ok_count} of {len(report.diffs)} mart copies match {REFERENCE}")
    if details:
        lines.append("")
        lines.append("Differences (first per mart and engine):")
        lines.extend(f"  {line}" for line in details)
    return "\n".join(lines)


def write_diff_csv(report: CheckReport, path: Path) -> None:
    """The comparison as CSV (mart, engine, rows, reference_rows, differing, missing, extra, first_difference)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            [
                "mart",
                "engine",
                "rows",
                "reference_rows",
                "differing",
                "missing",
                "extra",
                "first_difference",
                "error",
            ]
        )
        for d in report.diffs:
            writer.writerow(
                [
                    d.mart,
                    d.engine,
                    d.rows,
                    d.reference_rows,
                    d.differing,
                    d.missing,
                    d.extra,
                    d.first_difference,
                    d.error or "",
                ]
            )
