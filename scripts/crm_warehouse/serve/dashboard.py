"""The KPI dashboard: one static HTML page drawn from the published marts file.

The page is self-contained (plotly.js is embedded, nothing is fetched from the
network), so it opens offline from disk or from a CI artifact. It is drawn from
a list of specs (serve.dashboard_specs): headline KPI cards (`KpiSpec`) and
charts (`ChartSpec`), each with the SQL it runs against the published file
(`crm_marts.duckdb`, opened read-only, the way a BI tool sees it), and the
entities of the raw contract it is computed from. A spec whose entity the
export lacks (as after an import of a data set with only leads;
data_quality.dq_entity_presence says which) shows "not in this export: no
<entity>" instead of a number; a spec whose marts are missing or hold nothing
for it says that, instead of failing the page.
"""

from __future__ import annotations

import html
import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import duckdb

from crm_warehouse.serve.dashboard_specs import CHARTS, KPIS, ChartSpec, Fmt, KpiSpec
from crm_warehouse.serve.publish_files import MANIFEST_FILE, read_manifest


@dataclass
class KpiValue:
    spec: KpiSpec
    value: float | None
    period: str | None
    display: str
    note: str | None = None
    #: value: a number; absent: an input entity is not in the export; empty:
    #: the marts hold no value for it; error: its query failed.
    state: Literal["value", "absent", "empty", "error"] = "value"

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.spec.key,
            "label": self.spec.label,
            "value": self.value,
            "period": self.period,
            "display": self.display,
            "state": self.state,
            "note": self.note,
        }


@dataclass
class ChartResult:
    spec: ChartSpec
    state: Literal["data", "absent", "empty", "error"]
    rows: int
    note: str | None = None


@dataclass
class DashboardResult:
    path: Path
    kpis: list[KpiValue]
    charts: list[ChartResult]

    @property
    def charts_with_data(self) -> int:
        return sum(c.state == "data" for c in self.charts)

    @property
    def missing(self) -> list[str]:
        """Charts drawn without data (not in the export, no data, failed), with the reason."""
        return [f"{c.spec.key}: {c.note}" for c in self.charts if c.state != "data"]

    @property
    def errors(self) -> list[str]:
        return [f"{c.spec.key}: {c.note}" for c in self.charts if c.state == "error"]


# --------------------------------------------------------------------------- data


def _existing_tables(con: duckdb.DuckDBPyConnection) -> set[str]:
    rows = con.execute(
        "select schema_name || '.' || table_name from duckdb_tables() "
        "union all select schema_name || '.' || view_name from duckdb_views() where not internal"
    ).fetchall()
    return {str(r[0]) for r in rows}


def _missing(spec: KpiSpec | ChartSpec, existing: set[str]) -> list[str]:
    return [t for t in spec.tables if t not in existing]


#: Which entities of the raw contract the export has (a data-quality mart).
PRESENCE_TABLE = "data_quality.dq_entity_presence"
#: dq_entity_presence.absence_reason of an entity the export has no file for.
NOT_IN_EXPORT = "not in this export"

Presence = dict[str, str | None]


def entity_presence(con: duckdb.DuckDBPyConnection) -> Presence | None:
    """{entity: None when the export has it, else the reason it is absent}, from
    dq_entity_presence; None when the marts file has no such table (then
    nothing is reported absent)."""
    if PRESENCE_TABLE not in _existing_tables(con):
        return None
    rows = con.execute(
        f"select entity_name, is_present, absence_reason from {PRESENCE_TABLE}"
    ).fetchall()
    return {
        str(name): None if present else str(reason or NOT_IN_EXPORT)
        for name, present, reason in rows
    }


def absence(spec: KpiSpec | ChartSpec, presence: Presence | None) -> str | None:
    """Why the spec cannot be computed from this export ("no leads", "no
    invoices (every row quarantined)"), or None when its entities are there."""
    if presence is None or not spec.entities:
        return None
    absent = [e for e in spec.entities if presence.get(e, NOT_IN_EXPORT) is not None]
    if not absent or (spec.require == "any" and len(absent) < len(spec.entities)):
        return None
    names = [e.replace("_", " ") for e in absent]
    listed = (
        names[0]
        if len(names) == 1
        else ", ".join(names[:-1]) + (" or " if spec.require == "any" else " and ") + names[-1]
    )
    other = sorted({str(presence.get(e)) for e in absent} - {NOT_IN_EXPORT, "None"})
    return f"no {listed}" + (f" ({'; '.join(other)})" if other else "")


def fmt_value(value: float | None, fmt: Fmt, currency: str = "USD") -> str:
    """A number as shown on a card: 1.2M USD, 34.5%, 1,234, 41.0 days."""
    if value is None:
        return "n/a"
    if fmt == "rate":
        return f"{value * 100:.1f}%"
    if fmt == "days":
        return f"{value:,.1f} days"
    if fmt == "count":
        return f"{value:,.0f}"
    if fmt == "money":
        for size, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
            if abs(value) >= size:
                return f"{value / size:,.2f}{suffix} {currency}"
        return f"{value:,.0f} {currency}"
    return f"{value:,.2f}"


def _tick_format(fmt: Fmt) -> str:
    return {"rate": ".2~%", "money": ".3~s", "count": ",d", "days": ",.0f"}.get(fmt, ".3~s")


def _query(con: duckdb.DuckDBPyConnection, sql: str) -> tuple[list[str], list[tuple[Any, ...]]]:
    cur = con.execute(sql)
    names = [d[0] for d in cur.description]
    return names, cur.fetchall()


def _num(value: Any) -> float | None:
    if value is None:
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def compute_kpis(
    con: duckdb.DuckDBPyConnection,
    specs: Sequence[KpiSpec] = KPIS,
    currency: str = "USD",
) -> list[KpiValue]:
    """Evaluate the headline KPI specs on an open marts connection. A KPI whose
    entities the export lacks is not computed: it says "not in this export"
    and which entity is missing; one without a value says why, when its SQL
    tells (third column)."""
    existing = _existing_tables(con)
    presence = entity_presence(con)
    out: list[KpiValue] = []
    for spec in specs:
        absent = absence(spec, presence)
        if absent:
            out.append(KpiValue(spec, None, None, NOT_IN_EXPORT, absent, state="absent"))
            continue
        missing = _missing(spec, existing)
        if missing:
            out.append(
                KpiValue(
                    spec, None, None, "no data", f"waiting for {', '.join(missing)}", state="empty"
                )
            )
            continue
        try:
            _, rows = _query(con, spec.sql)
        except duckdb.Error as exc:
            out.append(
                KpiValue(spec, None, None, "error", f"{type(exc).__name__}: {exc}", state="error")
            )
            continue
        row = rows[0] if rows else (None, None)
        value = _num(row[0])
        period = str(row[1]) if len(row) > 1 and row[1] is not None else None
        if value is not None:
            out.append(KpiValue(spec, value, period, fmt_value(value, spec.fmt, currency)))
            continue
        why = str(row[2]) if len(row) > 2 and row[2] is not None else None
        if not rows:
            why = "the marts have no row for the period"
        out.append(
            KpiValue(spec, None, period, "no value", why or "null in the marts", state="empty")
        )
    return out


def _figure(spec: ChartSpec, names: list[str], rows: list[tuple[Any, ...]], currency: str) -> Any:
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    col = {n: [r[i] for r in rows] for i, n in enumerate(names)}

    def label(name: str) -> str:
        return spec.labels.get(name, name.replace("_", " "))

    def series() -> list[tuple[str, list[Any], list[Any]]]:
        """(name, x, y) per trace: one per y column, or one per colour value."""
        if spec.color:
            groups: dict[str, tuple[list[Any], list[Any]]] = {}
            for x, c, y in zip(col[spec.x], col[spec.color], col[spec.y[0]], strict=True):
                xs, ys = groups.setdefault(str(c), ([], []))
                xs.append(x)
                ys.append(_num(y))
            return [(name, xs, ys) for name, (xs, ys) in groups.items()]
        return [(label(y), col[spec.x], [_num(v) for v in col[y]]) for y in spec.y]

    fig = make_subplots(specs=[[{"secondary_y": spec.y2 is not None}]])
    for name, xs, ys in series():
        if spec.kind == "line":
            fig.add_trace(go.Scatter(x=xs, y=ys, name=name, mode="lines+markers"))
        elif spec.kind == "hbar":
            fig.add_trace(go.Bar(x=ys, y=xs, name=name, orientation="h"))
        else:
            fig.add_trace(go.Bar(x=xs, y=ys, name=name))
    if spec.y2 is not None:
        fig.add_trace(
            go.Scatter(
                x=col[spec.x],
                y=[_num(v) for v in col[spec.y2]],
                name=label(spec.y2),
                mode="lines+markers",
            ),
            secondary_y=True,
        )
        fig.update_yaxes(
            title_text=_axis_title(label(spec.y2), spec.y2_fmt, currency),
            tickformat=_tick_format(spec.y2_fmt),
            secondary_y=True,
            showgrid=False,
            rangemode="tozero",
            tickmode="auto",
            nticks=6,
        )
    value_axis = {
        "title_text": _axis_title(
            spec.y_title or (label(spec.y[0]) if len(spec.y) == 1 and not spec.color else ""),
            spec.y_fmt,
            currency,
        ),
        "tickformat": _tick_format(spec.y_fmt),
        "rangemode": "tozero",
    }
    if spec.kind == "hbar":
        fig.update_xaxes(**value_axis)
        fig.update_yaxes(autorange="reversed", type="category", title_text=label(spec.x))
    else:
        fig.update_yaxes(**value_axis, secondary_y=False)
        fig.update_xaxes(title_text=label(spec.x))
    fig.update_layout(
        barmode="stack" if spec.kind == "stacked" else "group",
        height=420 if spec.kind != "hbar" else max(360, 26 * len(set(col[spec.x])) + 120),
        margin={"l": 60, "r": 30, "t": 30, "b": 50},
        legend={"orientation": "h", "y": -0.2},
        template="plotly_white",
        font={"family": "system-ui, -apple-system, Segoe UI, Roboto, sans-serif", "size": 12},
    )
    return fig


def _axis_title(text: str, fmt: Fmt, currency: str) -> str:
    return f"{text} ({currency})".strip() if fmt == "money" else text


def _table_html(
    spec: ChartSpec, names: list[str], rows: list[tuple[Any, ...]], currency: str
) -> str:
    fmts: dict[str, Fmt] = {}
    for name in names:
        lowered = name.lower()
        if "rate" in lowered or "share" in lowered:
            fmts[name] = "rate"
        elif any(w in lowered for w in ("revenue", "amount", "pipeline", "deal_size", "value")):
            fmts[name] = "money"
        elif "days" in lowered:
            fmts[name] = "days"
        elif "count" in lowered or lowered.startswith(("deals", "won", "lost", "opportunit")):
            fmts[name] = "count"

    def header(name: str) -> str:
        text = spec.labels.get(name, name.replace("_", " "))
        return f"{text} ({currency})" if fmts.get(name) == "money" else text

    head = "".join(f"<th>{html.escape(header(n))}</th>" for n in names)
    body = []
    for row in rows:
        cells = []
        for name, value in zip(names, row, strict=True):
            num = _num(value) if not isinstance(value, str) else None
            if num is not None and name in fmts:
                # the currency is named once, in the column header
                text = fmt_value(num, fmts[name], "").strip()
            elif num is not None:
                text = f"{num:,.1f}" if num != int(num) else f"{num:,.0f}"
            else:
                text = "" if value is None else str(value)
            cells.append(
                f'<td class="{"num" if num is not None else "txt"}">{html.escape(text)}</td>'
            )
        body.append("<tr>" + "".join(cells) + "</tr>")
    return (
        f'<table class="scorecard"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table>"
    )


def _is_empty(spec: ChartSpec, names: list[str], rows: list[tuple[Any, ...]]) -> bool:
    """No rows, or (for a chart) every plotted value null or zero."""
    if not rows:
        return True
    if spec.kind == "table":
        return False
    plotted = [names.index(c) for c in (*spec.y, *([spec.y2] if spec.y2 else [])) if c in names]
    return all(_num(r[i]) in (None, 0.0) for r in rows for i in plotted)


def _empty_reason(spec: ChartSpec, names: list[str], rows: list[tuple[Any, ...]]) -> str:
    """Why a chart without data has none: no rows, or every value null or zero."""
    if not rows:
        return "no data: the marts have no rows for it"
    plotted = [names.index(c) for c in (*spec.y, *([spec.y2] if spec.y2 else [])) if c in names]
    if all(_num(r[i]) is None for r in rows for i in plotted):
        return f"no data: its {len(rows)} rows hold no value (null: unknown in this export)"
    return f"no data: every value of its {len(rows)} rows is zero"


def render_chart(
    con: duckdb.DuckDBPyConnection,
    spec: ChartSpec,
    existing: set[str],
    currency: str = "USD",
    presence: Presence | None = None,
) -> tuple[ChartResult, str]:
    """Run one chart's SQL and return its result and HTML (a plotly div, a table
    or a placeholder saying why there is nothing to draw)."""
    missing = _missing(spec, existing)
    absent = absence(spec, presence)
    if absent:
        result = ChartResult(spec, "absent", 0, absent)
    elif missing:
        result = ChartResult(spec, "empty", 0, f"no data yet: waiting for {', '.join(missing)}")
    else:
        try:
            names, rows = _query(con, spec.sql)
        except duckdb.Error as exc:
            result = ChartResult(spec, "error", 0, f"{type(exc).__name__}: {exc}")
        else:
            if _is_empty(spec, names, rows):
                result = ChartResult(spec, "empty", 0, _empty_reason(spec, names, rows))
            else:
                result = ChartResult(spec, "data", len(rows))
                if spec.kind == "table":
                    return result, _table_html(spec, names, rows, currency)
                fig = _figure(spec, names, rows, currency)
                div = fig.to_html(
                    full_html=False,
                    include_plotlyjs=False,
                    div_id=f"chart-{spec.key}",
                    config={"displaylogo": False, "responsive": True},
                )
                return result, div
    note = html.escape(result.note or "no data")
    head = NOT_IN_EXPORT if result.state == "absent" else "no data"
    return (
        result,
        f'<div class="no-data" role="note"><strong>{head}</strong><span>{note}</span></div>',
    )


# --------------------------------------------------------------------------- page

_CSS = """
:root { --ink: #1f2933; --muted: #616e7c; --line: #e4e7eb; --bg: #f5f7fa; --accent: #2563eb; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
       color: var(--ink); background: var(--bg); }
header { padding: 20px 32px 8px; }
header h1 { margin: 0 0 4px; font-size: 22px; }
header p { margin: 0; color: var(--muted); }
header a { color: var(--accent); }
.kpis { display: grid; grid-template-columns: repeat(auto-fill, minmax(190px, 1fr)); gap: 12px;
        padding: 12px 32px; }
.kpi { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 12px 14px; }
.kpi .label { color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .03em; }
.kpi .value { font-size: 24px; font-weight: 650; margin: 2px 0; }
.kpi .period { color: var(--muted); font-size: 12px; }
.kpi.empty .value { color: var(--muted); font-size: 16px; font-weight: 500; }
main { display: grid; grid-template-columns: repeat(auto-fill, minmax(600px, 1fr)); gap: 16px;
       padding: 12px 32px 32px; }
.chart { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 14px 16px;
         min-width: 0; }
.chart h2 { margin: 0; font-size: 16px; }
.chart .definition { margin: 2px 0 8px; color: var(--muted); font-size: 12px; }
.no-data { display: flex; flex-direction: column; align-items: center; justify-content: center;
           height: 220px; color: var(--muted); background: repeating-linear-gradient(45deg,
           #fafbfc, #fafbfc 10px, #f3f4f6 10px, #f3f4f6 20px); border-radius: 6px; gap: 4px;
           text-align: center; padding: 0 24px; }
.no-data strong { text-transform: uppercase; letter-spacing: .05em; }
table.scorecard { border-collapse: collapse; width: 100%; font-size: 12px; }
table.scorecard th { text-align: left; border-bottom: 2px solid var(--line); padding: 6px 6px;
                     color: var(--muted); font-weight: 600; }
table.scorecard td { border-bottom: 1px solid var(--line); padding: 5px 6px; }
table.scorecard td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
table.scorecard th { vertical-align: bottom; }
.table-wrap { max-height: 420px; overflow: auto; }
footer { padding: 0 32px 24px; color: var(--muted); font-size: 12px; }
"""


def _page(
    title: str,
    subtitle: str,
    kpis: list[KpiValue],
    charts: list[tuple[ChartResult, str]],
    plotly_js: str,
    footer: str,
    filtered: dict[str, Any] | None = None,
) -> str:
    cards = []
    for k in kpis:
        empty = k.value is None
        period = html.escape(" · ".join(t for t in (k.period, k.note) if t))
        cards.append(
            f'<div class="kpi{" empty" if empty else ""}" data-kpi="{k.spec.key}" '
            f'data-state="{k.state}" title="{html.escape(k.spec.definition)}">'
            f'<div class="label">{html.escape(k.spec.label)}</div>'
            f'<div class="value">{html.escape(k.display)}</div>'
            f'<div class="period">{period}</div></div>'
        )
    sections = []
    for result, body in charts:
        spec = result.spec
        wrapped = f'<div class="table-wrap">{body}</div>' if spec.kind == "table" else body
        sections.append(
            f'<section class="chart" data-chart="{spec.key}" data-state="{result.state}" '
            f'data-rows="{result.rows}"><h2>{html.escape(spec.title)}</h2>'
            f'<p class="definition">{html.escape(spec.definition)}</p>{wrapped}</section>'
        )
    published = f'<section class="kpis">{"".join(cards)}</section><main>{"".join(sections)}</main>'
    body, page_css = published, ""
    if filtered is not None:
        from crm_warehouse.serve.dashboard_page import CSS, page_body

        body, page_css = page_body(filtered, published), CSS
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)}</title>
<style>{_CSS}{page_css}</style>
<script type="text/javascript">{plotly_js}</script>
</head>
<body>
<header><h1>{html.escape(title)}</h1><p>{subtitle}</p></header>
{body}
<footer>{footer}</footer>
</body>
</html>
"""


def write_dashboard(
    marts_file: Path,
    out_path: Path,
    currency: str | None = None,
    kpis: Sequence[KpiSpec] | None = None,
    charts: Sequence[ChartSpec] | None = None,
    filters: bool = True,
) -> DashboardResult:
    """Draw the dashboard from the published marts file into `out_path`
    (written to a temporary name and renamed, so a reader never sees half a page).
    With `filters`, the page has the filter bar and one tab per area computed
    in the browser (serve.dashboard_page); the specs' cards and charts go in
    its last tab, "As published".

    Raises lock.LockBusy, writing nothing, when a publish or another dashboard
    holds the lock of `out_path`'s folder."""
    import plotly.offline

    currency = currency or os.environ.get("CRM_REPORTING_CURRENCY") or "USD"
    kpi_specs = KPIS if kpis is None else tuple(kpis)
    chart_specs = CHARTS if charts is None else tuple(charts)
    con = duckdb.connect(str(marts_file), read_only=True)
    con.execute("set enable_progress_bar = false")
    try:
        existing = _existing_tables(con)
        presence = entity_presence(con)
        kpi_values = compute_kpis(con, kpi_specs, currency)
        rendered = [render_chart(con, spec, existing, currency, presence) for spec in chart_specs]
        filtered = None
        if filters:
            from crm_warehouse.serve.dashboard_cubes import FILTER_DIMS, FILTER_LABELS, cube_data

            filtered = cube_data(con, existing, lambda spec: absence(spec, presence))
            filtered.update(filters=FILTER_DIMS, filter_labels=FILTER_LABELS, currency=currency)
    finally:
        con.close()

    manifest = read_manifest(marts_file.parent / MANIFEST_FILE)
    published = manifest.get("published_at") or datetime.now(UTC).isoformat()
    run_id = manifest.get("run_id")
    subtitle = (
        f"Drawn from <code>{html.escape(marts_file.name)}</code>, published "
        f"{html.escape(str(published)[:19].replace('T', ' '))} UTC"
        + (f", refresh run <code>{html.escape(str(run_id))}</code>" if run_id else "")
        + f'. Amounts in {html.escape(currency)}. <a href="docs/index.html">dbt docs</a>'
        ' (every KPI\'s definition) · <a href="manifest.json">published tables</a>'
    )
    footer = (
        "One self-contained page: plotly.js, the data and the filters' script are inline, nothing "
        "is loaded from the network. Hover a number for its definition. The filters recompute "
        "every card and chart of the area tabs (rates: sum of numerators / sum of denominators, "
        "as in the marts); a filter a figure cannot be split by shows n/a. A KPI or chart "
        'computed from an entity the export lacks says "not in this export" '
        "(data_quality.dq_entity_presence)."
    )
    page = _page(
        "CRM KPI dashboard",
        subtitle,
        kpi_values,
        rendered,
        plotly.offline.get_plotlyjs(),
        footer,
        filtered,
    )
    _write_page(out_path, page)
    return DashboardResult(path=out_path, kpis=kpi_values, charts=[r for r, _ in rendered])


def _write_page(out_path: Path, page: str) -> None:
    """Swap `page` in at `out_path` atomically, holding the folder's publish lock.

    The temporary file's name is this write's own (pid and random), so two
    dashboards never write or rename each other's file; what a killed one left
    behind (and a killed publish's temps) is removed first, as publish does."""
    import uuid

    from crm_warehouse.lock import exclusive, publish_lock_path
    from crm_warehouse.serve.publish_files import remove_stale_temps

    out_dir = out_path.parent
    out_dir.mkdir(parents=True, exist_ok=True)
    with exclusive(publish_lock_path(out_dir), "dashboard"):
        remove_stale_temps(out_dir)
        for stale in (*out_dir.glob(f".{out_path.name}.tmp-*"), out_dir / f"{out_path.name}.tmp"):
            stale.unlink(missing_ok=True)
        tmp = out_dir / f".{out_path.name}.tmp-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        try:
            with tmp.open("w", encoding="utf-8") as f:
                f.write(page)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, out_path)
        finally:
            tmp.unlink(missing_ok=True)
