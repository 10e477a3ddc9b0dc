"""The table of issue #17, printed by `python -m crm_dev.bench` from one run:
every row, wall and CPU seconds, each ratio from figures of the same run.

Each row is a function of the run's data (`{"results": [one entry per scale],
"test_command": ...}`, see crm_dev.bench.runner) returning a `Row`; a figure
the run did not measure gives "not measured in this run" instead of a number.
`ROWS` lists them in the issue's order: wiring a new measurement in is one
line there (a row function reading the result key the measuring module adds).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

NOT_MEASURED = "not measured in this run"


@dataclass(frozen=True)
class Row:
    """One line of the table: the figure (wall, CPU), the target and whether it is met."""

    what: str
    wall: str
    cpu: str
    target: str
    met: bool | None  # None: not measured


RowFunction = Callable[[dict[str, Any]], Row]


def _at(data: dict[str, Any], scale: float) -> dict[str, Any] | None:
    for r in data.get("results", []):
        if float(r.get("scale", -1)) == float(scale):
            return r
    return None


def _cpu(result: dict[str, Any], key: str) -> Any:
    return (result.get("cpu") or {}).get(key)


def _ratio(top: Any, bottom: Any) -> float | None:
    if top is None or not bottom:
        return None
    return float(top) / float(bottom)


def _fmt_ratio(value: float | None, detail: str = "") -> str:
    if value is None:
        return "n/a"
    return f"{value:.2f} ×" + (f" ({detail})" if detail else "")


def _missing(what: str, target: str) -> Row:
    return Row(what, NOT_MEASURED, NOT_MEASURED, target, None)


def ratio_row(
    what: str, scale: float, top: str, bottom: str, limit: float, target: str
) -> RowFunction:
    """A row `top / bottom` at `scale` (result keys; CPU from the result's `cpu`)."""

    def row(data: dict[str, Any]) -> Row:
        r = _at(data, scale)
        wall = _ratio(r.get(top), r.get(bottom)) if r else None
        if r is None or wall is None:
            return _missing(what, target)
        cpu = _ratio(_cpu(r, top), _cpu(r, bottom))
        detail = f"{r[top]:.1f} / {r[bottom]:.1f} s"
        cpu_detail = f"{_cpu(r, top):.1f} / {_cpu(r, bottom):.1f} s" if cpu is not None else ""
        return Row(
            what, _fmt_ratio(wall, detail), _fmt_ratio(cpu, cpu_detail), target, wall <= limit
        )

    return row


def nothing_new(data: dict[str, Any]) -> Row:
    """A refresh with nothing new landed (crm_dev.bench.refresh), at the largest
    scale that measured it."""
    what, target = "refresh with nothing new landed and no code change", "≤ 5 s at any scale"
    measured = [r for r in data.get("results", []) if r.get("refresh_nothing_new_s") is not None]
    if not measured:
        return _missing(what, target)
    worst = max(measured, key=lambda r: r["refresh_nothing_new_s"])
    wall, cpu = worst["refresh_nothing_new_s"], worst.get("refresh_nothing_new_cpu_s")
    scale = f"scale {worst['scale']:g}"
    return Row(
        what,
        f"{wall:.1f} s ({scale})",
        f"{cpu:.1f} s" if cpu is not None else "n/a",
        target,
        wall <= 5.0,
    )


def one_percent(scale: float, limit: float) -> RowFunction:
    """The refresh after a 1 % batch against a full refresh: the end-to-end
    refresh's ratio (crm_dev.bench.refresh) when measured, else the runner's
    incremental_s / full_refresh_s."""
    what = f"refresh after a 1 % batch, against a full refresh, scale {scale:g}"
    target = f"≤ {limit:.2f} ×"

    def row(data: dict[str, Any]) -> Row:
        r = _at(data, scale)
        if r is not None and r.get("refresh_batch_ratio") is not None:
            detail = f"{r['refresh_batch_s']:.1f} / {r['refresh_full_s']:.1f} s, refresh command"
            return Row(
                what,
                _fmt_ratio(r["refresh_batch_ratio"], detail),
                _fmt_ratio(r.get("refresh_batch_ratio_cpu")),
                target,
                r["refresh_batch_ratio"] <= limit,
            )
        return ratio_row(what, scale, "incremental_s", "full_refresh_s", limit, target)(data)

    return row


def import_10k(data: dict[str, Any]) -> Row:
    """Import of a 10,000-row export end to end (result key `import_10k`:
    {"seconds", "cpu_s"}, added by whichever module measures it)."""
    what, target = "import of a 10,000-row export, end to end, 2 cores", "≤ 30 s"
    figure = data.get("import_10k") or next(
        (r["import_10k"] for r in data.get("results", []) if r.get("import_10k")), None
    )
    if not figure:
        return _missing(what, target)
    first = figure.get("first")
    wall, cpu = f"{figure['seconds']:.1f} s", f"{figure['cpu_s']:.1f} s"
    if first:
        wall += f" (the first after a clone, a full dbt parse: {first['seconds']:.1f} s)"
        cpu += f" ({first['cpu_s']:.1f} s)"
    return Row(
        what,
        wall,
        cpu,
        target,
        figure["seconds"] <= 30,
    )


def scale_100(data: dict[str, Any]) -> Row:
    """Scale 100: generate (when this run generated it), full refresh, 1 %
    refresh, and the peak memory of every step."""
    what = "scale 100 (≈ 100 M raw rows): generate, full refresh, 1 % refresh"
    target = "completes, peak ≤ 4 GB"
    r = _at(data, 100)
    if r is None:
        return _missing(what, target)
    gen = r.get("generate") or {}
    peak = max(float(r.get("peak_rss_mb") or 0), float(gen.get("peak_rss_mb") or 0))
    parts = [
        f"generate {gen['seconds']:.0f} s" if gen else "generate: reused",
        f"full {r['full_refresh_s']:.0f} s",
        f"1 % {r['incremental_s']:.0f} s",
        f"peak {peak / 1024:.1f} GB",
    ]
    cpu = [
        f"generate {gen['cpu_s']:.0f} s" if gen else "",
        f"full {_cpu(r, 'full_refresh_s'):.0f} s",
        f"1 % {_cpu(r, 'incremental_s'):.0f} s",
    ]
    return Row(what, ", ".join(parts), ", ".join(c for c in cpu if c), target, peak <= 4096)


def peers(scale: float, limit: float) -> RowFunction:
    """The marts' SQL for what the peers compute (kpi_sql_s) against the fastest
    peer; the peers' frames equal the marts' rows (the runner stops otherwise)."""
    what = f"the marts' SQL for what a peer computes, against the fastest peer, scale {scale:g}"
    target = f"≤ {limit:.2f} × (SQL ≥ {1 / limit:.0f} × faster); peers compute the same rows"

    def row(data: dict[str, Any]) -> Row:
        r = _at(data, scale)
        if r is None or r.get("peer_s") is None or r.get("kpi_sql_s") is None:
            return _missing(what, target)
        fastest = r.get("fastest_peer") or "peer"
        ran = ", ".join(f"{k[:-2]} {r[k]:.1f} s" for k in ("pandas_s", "polars_s") if r.get(k))
        missing = r.get("peers_not_installed") or []
        note = f"; not installed: {', '.join(missing)}" if missing else ""
        wall = r["kpi_sql_s"] / r["peer_s"]
        cpu = _ratio(_cpu(r, "kpi_sql_s"), _cpu(r, "peer_s"))
        return Row(
            what,
            _fmt_ratio(wall, f"SQL {r['kpi_sql_s']:.1f} s / {fastest}; {ran}{note}"),
            _fmt_ratio(cpu),
            target,
            wall <= limit and not missing,
        )

    return row


def test_command(data: dict[str, Any]) -> Row:
    """The README's test command (`make test`): measured with --test-command,
    else the last measurement bench/test_command.json holds (with its date)."""
    what, target = "README's test command on a quiet 2-core machine", "≤ 5 min"
    figure = data.get("test_command")
    if not figure:
        return _missing(what, target)
    when = "" if figure.get("this_run") else f", measured {figure.get('when', '?')}"
    ok = "" if figure.get("returncode", 0) == 0 else ", FAILED"
    return Row(
        what,
        f"{figure['seconds'] / 60:.1f} min{when}{ok}",
        f"{figure['cpu_s'] / 60:.1f} min",
        target,
        figure["seconds"] <= 300 and figure.get("returncode", 0) == 0,
    )


#: The issue's rows, in its order.
ROWS: tuple[RowFunction, ...] = (
    nothing_new,
    one_percent(10, 0.10),
    one_percent(1, 0.25),
    import_10k,
    ratio_row(
        "load with Great Expectations validation against a plain DuckDB read, scale 10",
        10,
        "load_s",
        "read_s",
        1.5,
        "≤ 1.5 ×",
    ),
    ratio_row(
        "full refresh against its floor, scale 10", 10, "full_refresh_s", "floor_s", 2.0, "≤ 2.0 ×"
    ),
    ratio_row(
        "full refresh against a plain DuckDB read of the landed files (read_s), scale 10",
        10,
        "full_refresh_s",
        "read_s",
        4.0,
        "≤ 4 ×",
    ),
    scale_100,
    peers(10, 1 / 3),
    test_command,
)


def issue_rows(data: dict[str, Any], rows: tuple[RowFunction, ...] = ROWS) -> list[Row]:
    return [row(data) for row in rows]


def format_issue_table(data: dict[str, Any], rows: tuple[RowFunction, ...] = ROWS) -> str:
    """The issue's table as Markdown: what, wall, CPU, target, met."""
    lines = ["| what | wall | CPU | target | met |", "|---|---|---|---|---|"]
    for r in issue_rows(data, rows):
        met = "—" if r.met is None else ("met" if r.met else "MISSED")
        lines.append(f"| {r.what} | {r.wall} | {r.cpu} | {r.target} | {met} |")
    return "\n".join(lines)
