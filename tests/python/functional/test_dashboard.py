"""The KPI dashboard: drawn offline from the published marts file, opened in
headless Chromium (Debian's `chromium`, installed here when missing and we are
root), checked for charts that rendered with data, and screenshotted."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from crm_warehouse.serve.dashboard import fmt_value, write_dashboard
from crm_warehouse.serve.dashboard_specs import CHARTS, KPIS, ChartSpec, KpiSpec

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--virtual-time-budget=10000",
]


@contextlib.contextmanager
def _install_lock() -> Iterator[None]:
    """Serialise the apt-get install between pytest-xdist workers."""
    with open(Path(tempfile.gettempdir()) / "crm-chromium-install.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@pytest.fixture(scope="session")
def chromium() -> str:
    """Path of a headless-capable Chromium: Debian's package, installed when
    absent and we are root (as in CI); skipped only when neither is the case."""
    override = os.environ.get("CRM_CHROMIUM")
    if override:
        return override
    with _install_lock():
        if not CHROMIUM.exists() and os.geteuid() == 0:
            env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
            for cmd in (
                ["apt-get", "update", "-qq"],
                ["apt-get", "install", "-y", "-qq", "--no-install-recommends", "chromium"],
            ):
                proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=900)
                assert proc.returncode == 0, f"{' '.join(cmd)} failed:\n{proc.stderr[-2000:]}"
    if CHROMIUM.exists():
        return str(CHROMIUM)
    found = next(
        (
            shutil.which(n)
            for n in ("chromium", "chromium-browser", "google-chrome")
            if shutil.which(n)
        ),
        None,
    )
    if found:
        return found
    pytest.skip("chromium is not installed and we are not root to apt-get install it")


def _run_chromium(binary: str, args: list[str], tmp: Path) -> subprocess.CompletedProcess[str]:
    profile = Path(tempfile.mkdtemp(prefix="chromium-profile-", dir=tmp))
    proc = subprocess.run(
        [binary, *FLAGS, f"--user-data-dir={profile}", *args],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc


def dump_dom(binary: str, page: Path, tmp: Path) -> str:
    """The page's DOM after its scripts ran."""
    return _run_chromium(binary, ["--dump-dom", page.resolve().as_uri()], tmp).stdout


def screenshot(binary: str, page: Path, out: Path, tmp: Path) -> Path:
    out.parent.mkdir(parents=True, exist_ok=True)
    _run_chromium(
        binary, [f"--screenshot={out}", "--window-size=1400,3000", page.resolve().as_uri()], tmp
    )
    assert out.is_file() and out.stat().st_size > 10_000, "empty screenshot"
    return out


def chart_sections(dom: str) -> dict[str, tuple[str, str]]:
    """{chart key: (data-state, rendered HTML of the chart's section)}."""
    out: dict[str, tuple[str, str]] = {}
    # the "As published" tab (the filterable tabs before it are checked in test_dashboard_filters)
    published = dom.split('id="page-published"', 1)[-1]
    body = published.split("<main>", 1)[-1].split("</main>", 1)[0]
    for chunk in body.split('<section class="chart" ')[1:]:
        key = re.search(r'data-chart="([^"]+)"', chunk)
        state = re.search(r'data-state="([^"]+)"', chunk)
        assert key and state, chunk[:200]
        out[key.group(1)] = (state.group(1), chunk)
    return out


def assert_rendered(sections: dict[str, tuple[str, str]], kinds: dict[str, str]) -> None:
    """Every chart with data drew an SVG with data points (or a table with rows);
    every chart without data shows the placeholder."""
    for key, (state, chunk) in sections.items():
        if state != "data":
            assert 'class="no-data"' in chunk, key
            continue
        assert 'class="no-data"' not in chunk, key
        if kinds[key] == "table":
            assert chunk.count("<tr>") >= 2, f"{key}: table without rows"
            continue
        assert 'class="main-svg"' in chunk, f"{key}: plotly drew no SVG"
        traces = len(re.findall(r'class="trace (?:bars|scatter)', chunk))
        points = len(re.findall(r'class="point"', chunk)) + len(re.findall(r"js-line", chunk))
        assert traces >= 1 and points >= 1, f"{key}: {traces} traces, {points} points"


# ----------------------------------------------------------------- a synthetic marts file

SPECS = (
    ChartSpec(
        key="revenue",
        title="Won revenue",
        kind="bar+line",
        tables=("sales.monthly",),
        sql="select month, won_revenue, avg_deal_size from sales.monthly order by month",
        x="month",
        y=("won_revenue",),
        y2="avg_deal_size",
        y_fmt="money",
        y2_fmt="money",
        definition="S2 and S3.",
    ),
    ChartSpec(
        key="aging",
        title="Aging",
        kind="stacked",
        tables=("finance.aging",),
        sql="select month, bucket, amount from finance.aging order by month, bucket",
        x="month",
        y=("amount",),
        color="bucket",
        y_fmt="money",
        definition="F2.",
    ),
    ChartSpec(
        key="reps",
        title="Win rate by rep",
        kind="hbar",
        tables=("sales.reps",),
        sql="select rep_name, win_rate from sales.reps order by win_rate desc",
        x="rep_name",
        y=("win_rate",),
        y_fmt="rate",
        definition="S4.",
    ),
    ChartSpec(
        key="sla",
        title="SLA",
        kind="line",
        tables=("service.sla",),
        sql="select month, priority, compliance from service.sla order by month",
        x="month",
        y=("compliance",),
        color="priority",
        y_fmt="rate",
        definition="V8.",
    ),
    ChartSpec(
        key="partners",
        title="Partner scorecard",
        kind="table",
        tables=("partners.scorecard",),
        sql="select * from partners.scorecard order by won_revenue desc",
        x="partner_name",
        y=("won_revenue",),
        definition="Partners.",
    ),
    ChartSpec(
        key="missing",
        title="Not built yet",
        kind="bar",
        tables=("customers.retention",),
        sql="select month, retention_rate from customers.retention",
        x="month",
        y=("retention_rate",),
        definition="C2.",
    ),
    ChartSpec(
        key="empty",
        title="Built but empty",
        kind="bar",
        tables=("service.empty",),
        sql="select month, n from service.empty",
        x="month",
        y=("n",),
        definition="No rows.",
    ),
)

KPI_SPECS = (
    KpiSpec(
        key="won",
        label="Won revenue",
        tables=("sales.monthly",),
        sql="select won_revenue, strftime(month, '%Y-%m') from sales.monthly order by month desc limit 1",
        fmt="money",
        definition="S2",
    ),
    KpiSpec(
        key="retention",
        label="Retention",
        tables=("customers.retention",),
        sql="select 1",
        fmt="rate",
        definition="C2",
    ),
)


def make_marts(path: Path) -> None:
    con = duckdb.connect(str(path))
    con.execute(
        """
        create schema sales; create schema finance; create schema service; create schema partners;
        create table sales.monthly as
            select date '2024-01-01' + to_months(cast(range as integer)) as month,
                   cast(10000 + range * 1500 as decimal(18, 2)) as won_revenue,
                   cast(2000 + range * 10 as decimal(18, 2)) as avg_deal_size
            from range(12);
        create table finance.aging as
            select m.month, b.bucket, cast(100 * (b.i + 1) as decimal(18, 2)) as amount
            from (select month from sales.monthly) as m,
                 (select * from (values (0, 'current'), (1, '1-30'), (2, 'over 90')) as t(i, bucket)) as b;
        create table sales.reps as
            select 'Rep ' || range as rep_name, 0.1 + range / 20 as win_rate from range(8);
        create table service.sla as
            select month, p.priority, 0.8 as compliance from sales.monthly,
                   (values ('high'), ('low')) as p(priority);
        create table partners.scorecard as
            select 'Partner ' || range as partner_name, range * 1000.0 as won_revenue,
                   range as deal_count, 0.25 as win_rate, range * 10 as quality_score
            from range(5);
        create table service.empty (month date, n integer);
        """
    )
    con.close()


def test_format() -> None:
    assert fmt_value(1_234_567, "money") == "1.23M USD"
    assert fmt_value(0.256, "rate") == "25.6%"
    assert fmt_value(None, "rate") == "n/a"
    assert fmt_value(1234, "count") == "1,234"


def test_every_default_spec_is_well_formed() -> None:
    keys = [c.key for c in CHARTS] + [k.key for k in KPIS]
    assert len(keys) == len(set(keys))
    for chart in CHARTS:
        assert chart.tables and all("." in t for t in chart.tables), chart.key
        for table in chart.tables:
            assert table in chart.sql, f"{chart.key}: sql does not read {table}"


def test_every_filterable_figure_reads_measures_its_cube_has() -> None:
    """Each card and chart series of the area tabs names a cube of CUBES and
    measures that cube sums (a typo would show a silent 0 in the browser)."""
    from crm_warehouse.serve.dashboard_areas import AREAS
    from crm_warehouse.serve.dashboard_cubes import CUBES, FILTER_DIMS

    cubes = {c.key: c for c in CUBES}
    assert len(cubes) == len(CUBES)
    for cube in CUBES:
        assert set(cube.dims) <= set(FILTER_DIMS), cube.key
        assert all(t in cube.sql for t in cube.tables if t != "core.dim_reps"), cube.key
    keys = [a.key for a in AREAS] + [f.key for a in AREAS for f in (*a.cards, *a.charts)]
    assert len(keys) == len(set(keys))
    for area in AREAS:
        figures = [(c.key, c.figure) for c in area.cards]
        figures += [(c.key, s.figure) for c in area.charts for s in c.series]
        for key, fig in figures:
            assert fig.cube in cubes, key
            named = [fig.num, fig.den, fig.known, fig.count]
            used = {m for expr in named if expr for m in expr.split("+")}
            assert used <= set(cubes[fig.cube].measures), (key, used)
            assert (fig.kind == "sum") == (fig.den is None), key
        for chart in area.charts:
            assert chart.x == "month" or all(
                chart.x in (*cubes[s.figure.cube].dims, *cubes[s.figure.cube].groups)
                for s in chart.series
            ), chart.key


def test_missing_marts_show_no_data(tmp_path: Path) -> None:
    marts = tmp_path / "crm_marts.duckdb"
    duckdb.connect(str(marts)).close()
    result = write_dashboard(marts, tmp_path / "dashboard.html")
    assert result.charts_with_data == 0
    assert all(c.state == "empty" for c in result.charts)
    assert all(k.value is None for k in result.kpis)
    page = (tmp_path / "dashboard.html").read_text()
    published = page.split('id="page-published"', 1)[1]
    assert published.count('class="no-data"') == len(CHARTS)


def test_absent_entities_say_not_in_this_export(tmp_path: Path) -> None:
    """With data_quality.dq_entity_presence in the file, a KPI or chart whose
    entity the export lacks says so (and which entity) instead of a number or
    "no rows"; one whose entities are there is computed; one needing any of
    several entities needs only one of them."""
    from dataclasses import replace

    marts = tmp_path / "crm_marts.duckdb"
    make_marts(marts)
    con = duckdb.connect(str(marts))
    con.execute(
        """
        create schema data_quality;
        create table data_quality.dq_entity_presence as select * from (values
            ('opportunities', true, null), ('support_cases', false, 'not in this export'),
            ('invoices', false, 'every row quarantined'), ('orders', false, 'not in this export'),
            ('contracts', true, null))
            as t(entity_name, is_present, absence_reason);
        """
    )
    con.close()
    charts = [
        replace(SPECS[0], entities=("opportunities",)),
        replace(SPECS[1], entities=("invoices",)),
        replace(SPECS[3], entities=("support_cases",)),
        replace(SPECS[6], entities=("opportunities",)),
    ]
    kpis = [
        replace(KPI_SPECS[0], entities=("opportunities",)),
        replace(KPI_SPECS[1], entities=("support_cases", "orders")),
        replace(
            KPI_SPECS[1], key="any", tables=(), entities=("orders", "contracts"), require="any"
        ),
        replace(KPI_SPECS[1], key="none", entities=("orders", "support_cases"), require="any"),
    ]
    out = tmp_path / "dashboard.html"
    result = write_dashboard(marts, out, kpis=kpis, charts=charts)
    assert [(c.state, c.note) for c in result.charts] == [
        ("data", None),
        ("absent", "no invoices (every row quarantined)"),
        ("absent", "no support cases"),
        ("empty", "no data: the marts have no rows for it"),
    ]
    assert [(k.state, k.display, k.note) for k in result.kpis] == [
        ("value", "26.50k USD", None),
        ("absent", "not in this export", "no support cases and orders"),
        ("value", "100.0%", None),
        ("absent", "not in this export", "no orders or support cases"),
    ]
    page = out.read_text()
    sla = page.split('data-chart="sla"', 1)[1].split("</section>", 1)[0]
    assert 'data-state="absent"' in sla
    assert "<strong>not in this export</strong><span>no support cases</span>" in sla
    assert 'data-kpi="retention" data-state="absent"' in page
    # the filterable tabs get the same verdicts through their cubes
    data = page.split('id="dash-data">', 1)[1].split("</script>", 1)[0]
    cubes = json.loads(data)["cubes"]
    assert cubes["cases"] == {"absent": "no support cases"}
    assert cubes["invoices"] == {"absent": "no invoices (every row quarantined)"}
    assert cubes["opportunities"] == {"missing": "waiting for core.fct_opportunities"}


def test_empty_chart_says_why() -> None:
    from crm_warehouse.serve.dashboard import _empty_reason

    spec = SPECS[0]
    names = ["month", "won_revenue", "avg_deal_size"]
    assert _empty_reason(spec, names, []) == "no data: the marts have no rows for it"
    assert "hold no value (null" in _empty_reason(spec, names, [("2024-01-01", None, None)])
    assert "is zero" in _empty_reason(spec, names, [("2024-01-01", 0, None)])


def test_average_deal_size_definition_matches_the_mart() -> None:
    """The card's tooltip divides by the same deals as the mart's column."""
    import yaml

    from crm_warehouse.settings import project_root

    doc = yaml.safe_load(
        (project_root() / "models/marts/sales/_sales__models.yml").read_text(encoding="utf-8")
    )
    (model,) = [m for m in doc["models"] if m["name"] == "kpi_sales_monthly"]
    (column,) = [c for c in model["columns"] if c["name"] == "won_revenue_mean"]
    assert "won_revenue / opportunities_won_with_amount" in column["description"]
    (kpi,) = [k for k in KPIS if k.key == "won_revenue_mean"]
    assert "won revenue / deals won with an amount" in kpi.definition
    assert "opportunities_won_with_amount" in kpi.sql


def test_synthetic_dashboard_renders_in_chromium(tmp_path: Path, chromium: str) -> None:
    marts = tmp_path / "crm_marts.duckdb"
    make_marts(marts)
    out = tmp_path / "dashboard.html"
    result = write_dashboard(marts, out, kpis=KPI_SPECS, charts=SPECS)
    states = {c.spec.key: c.state for c in result.charts}
    assert states == {
        "revenue": "data",
        "aging": "data",
        "reps": "data",
        "sla": "data",
        "partners": "data",
        "missing": "empty",
        "empty": "empty",
    }
    assert [k.display for k in result.kpis] == ["26.50k USD", "no data"]

    page = out.read_text()
    assert not re.search(r"""<(?:script|link|img)[^>]+(?:src|href)=["']?https?:""", page), (
        "the page loads something from the network"
    )
    assert page.count("<script") < 20  # plotly.js inline once, one small script per chart

    sections = chart_sections(dump_dom(chromium, out, tmp_path))
    assert set(sections) == set(states)
    assert {k: s for k, (s, _) in sections.items()} == states
    assert_rendered(sections, {s.key: s.kind for s in SPECS})
    assert sections["aging"][1].count('class="trace bars"') == 3
    screenshot(chromium, out, tmp_path / "synthetic.png", tmp_path)


# ----------------------------------------------------------------- the real refresh


@pytest.mark.slow
@pytest.mark.xdist_group("warehouse")
def test_refreshed_dashboard_renders_in_chromium(
    demo_warehouse, chromium: str, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    """After `refresh`, every chart whose marts were built shows data in Chromium."""
    from crm_warehouse.serve.dashboard import _existing_tables

    publish_dir = demo_warehouse.settings.publish_dir
    page = publish_dir / "dashboard.html"
    assert page.is_file()
    con = duckdb.connect(str(publish_dir / "crm_marts.duckdb"), read_only=True)
    existing = _existing_tables(con)
    con.close()
    sections = chart_sections(dump_dom(chromium, page, tmp_path))
    assert set(sections) == {c.key for c in CHARTS}
    assert_rendered(sections, {c.key: c.kind for c in CHARTS})
    for chart in CHARTS:
        if all(t in existing for t in chart.tables):
            assert sections[chart.key][0] == "data", f"{chart.key} has its marts but no data"
    # in tmp_path: the demo's publish/ is shared by other tests (the privacy
    # test checks its files are not world-readable)
    shot = screenshot(chromium, page, tmp_path / "dashboard.png", tmp_path)
    assert shot.stat().st_size > 0
