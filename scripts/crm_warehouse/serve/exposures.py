"""models/exposures.yml: who consumes the marts, written from what is on disk.

Two exposures: the KPI dashboard, depending on the marts its charts and cards
read (serve.dashboard_specs, serve.dashboard_cubes), and the BI marts file with its Parquet exports,
depending on every mart. Regenerate the file after adding a mart or a chart
(`write_exposures`); dbt's docs draw both consumers in the lineage graph.
"""

from __future__ import annotations

from pathlib import Path

from crm_warehouse.serve.dashboard_cubes import CUBES
from crm_warehouse.serve.dashboard_specs import CHARTS, KPIS
from crm_warehouse.settings import project_root

_EXPOSURES_HEADER = """version: 2

# Who consumes the marts. `dbt ls --select +exposure:kpi_dashboard` lists what
# the dashboard needs; the dbt docs lineage graph shows both consumers.
# Regenerate after adding a mart (every mart is published; the dashboard's list
# comes from the chart specs in scripts/crm_warehouse/serve/dashboard_specs.py):
#   .venv/bin/python -c "from crm_warehouse.serve.exposures import write_exposures; write_exposures()"

exposures:
"""

_DASHBOARD_DESCRIPTION = """\
      Self-contained HTML page drawn at the end of every refresh (`crm-warehouse
      refresh`, `crm-warehouse dashboard`) from the published marts file: filters
      (date range, team, rep, region, lead source, partner) that recompute one
      tab per area (sales and pipeline, partners, marketing, customers and
      retention, receivables, service and SLA, rep activity) from cubes of the
      core facts, each figure beside the prior period, a year earlier and its
      target; and the charts as published (won revenue, open pipeline by stage,
      funnel, win rate by rep, partner scorecard, retention, receivables aging,
      SLA compliance). Charts whose marts are missing or empty show "no data".
"""

_BI_DESCRIPTION = """\
      Marts-only DuckDB file for BI tools (Superset, Metabase, the DuckDB CLI,
      Python), written in storage version v1.4.0 and swapped in atomically after
      a green build, plus one Parquet file per mart under publish/parquet/.
      Every table of the mart schemas is published; raw, staging, intermediate
      and reference are not, and no personal data is (text columns named like an
      email, phone or person's name are withheld unless hashed).
"""


def render_exposures(root: Path) -> str:
    """models/exposures.yml for the marts that exist under `root`/models/marts
    (the intermediates beside them, in marts/<area>/intermediate/, are never
    published)."""
    models = sorted(
        (p for p in (root / "models" / "marts").rglob("*.sql") if p.parent.name != "intermediate"),
        key=lambda p: (p.parent.name, p.stem),
    )
    names = {p.stem for p in models}
    charted = sorted({t.split(".")[1] for s in (*CHARTS, *KPIS, *CUBES) for t in s.tables} & names)

    def block(
        name: str, label: str, kind: str, maturity: str, url: str, text: str, refs: list[str]
    ) -> str:
        lines = "\n".join(f"      - ref('{r}')" for r in refs)
        return (
            f"  - name: {name}\n    label: {label}\n    type: {kind}\n    maturity: {maturity}\n"
            f"    url: {url}\n    description: >\n{text}    depends_on:\n{lines}\n"
            "    owner:\n      name: CRM analytics\n"
        )

    return (
        _EXPOSURES_HEADER
        + block(
            "kpi_dashboard",
            "CRM KPI dashboard",
            "dashboard",
            "medium",
            "publish/dashboard.html",
            _DASHBOARD_DESCRIPTION,
            charted,
        )
        + "\n"
        + block(
            "crm_marts_file",
            "BI marts file (crm_marts.duckdb) and Parquet exports",
            "application",
            "high",
            "publish/crm_marts.duckdb",
            _BI_DESCRIPTION,
            [p.stem for p in models],
        )
    )


def write_exposures(root: Path | None = None) -> Path:
    """Rewrite models/exposures.yml from the marts on disk and the dashboard specs."""
    root = root or project_root()
    path = root / "models" / "exposures.yml"
    path.write_text(render_exposures(root))
    return path
