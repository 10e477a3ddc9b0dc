"""crm_dev.rename_columns renames a mart's columns only where they mean that
mart's columns, and a second run changes nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from crm_dev import rename_columns

PARENT_SQL = """with opportunities as (
    select * from {{ ref('fct_opportunities') }}
),

counted as (
    select
        count(*) as won_count,
        sum(case when stage = 'won_count' then 1 else 0 end) as odd_count
    from opportunities
),

final as (
    select counted.won_count from counted
)

select * from final
"""

CHILD_SQL = """with monthly as (
    select * from {{ ref('kpi_parent') }} where dimension_name = 'all'
),

usage as (
    {{ currency_usage() }}
),

won_count as (
    select monthly.won_count, usage.won_count as usage_won_count from monthly cross join usage
)

select won_count.won_count as won_count from won_count
"""

YAML = """models:
  - name: kpi_parent
    description: won_count per month.
    columns:
      - name: won_count
        description: "{{ doc('parent_won') }}"
  - name: fct_opportunities
    columns:
      - name: won_count
unit_tests:
  - name: test_child
    model: kpi_child
    description: won_count of the parent, won_count of the child.
    given:
      - input: ref('kpi_parent')
        rows:
          - {won_count: 1}
      - input: ref('fct_opportunities')
        rows:
          - {won_count: 2}
    expect:
      rows:
        - {won_count: 1}
"""

DOCS = """{% docs parent_won %}Opportunities won: `won_count`.{% enddocs %}
{% docs other %}`won_count` of something else.{% enddocs %}
"""


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    models = tmp_path / "models"
    models.mkdir()
    (models / "kpi_parent.sql").write_text(PARENT_SQL)
    (models / "kpi_child.sql").write_text(CHILD_SQL)
    (models / "fct_opportunities.sql").write_text("select 1 as won_count\n")
    (models / "_models.yml").write_text(YAML)
    (models / "_docs.md").write_text(DOCS)
    tests = tmp_path / "tests"
    tests.mkdir()
    (tests / "test_x.py").write_text('Q = "select won_count from sales.kpi_parent"\n')
    (tests / "test_y.py").write_text('Q = "select won_count from core.fct_opportunities"\n')
    nodes = {
        f"model.p.{name}": {
            "name": name,
            "resource_type": "model",
            "original_file_path": f"models/{name}.sql",
            "depends_on": {"nodes": [f"model.p.{p}" for p in parents]},
        }
        for name, parents in {
            "fct_opportunities": [],
            "kpi_parent": ["fct_opportunities"],
            "kpi_child": ["kpi_parent"],
        }.items()
    }
    (tmp_path / "manifest.json").write_text(json.dumps({"nodes": nodes}))
    (tmp_path / "renames.yml").write_text(
        "columns:\n  sales.kpi_parent: {won_count: opportunities_won}\n"
        "  sales.kpi_child: {won_count: opportunities_won}\n"
    )
    monkeypatch.setattr(rename_columns, "PROJECT", tmp_path)
    return tmp_path


def run(project: Path) -> None:
    args = [str(project / "renames.yml"), "--manifest", str(project / "manifest.json")]
    assert rename_columns.main(args) == 0


def test_renames_only_the_marts_columns_and_is_idempotent(project: Path) -> None:
    run(project)
    parent = (project / "models" / "kpi_parent.sql").read_text()
    assert "count(*) as opportunities_won" in parent
    assert "stage = 'won_count'" in parent  # a string literal is data
    assert "counted.opportunities_won" in parent
    child = (project / "models" / "kpi_child.sql").read_text()
    assert "monthly.opportunities_won" in child  # the parent's column, renamed
    assert "usage.won_count as usage_won_count" in child  # a macro's column is not
    assert "won_count as (" in child and "from won_count" in child  # the CTE keeps its name
    assert "select won_count.opportunities_won from won_count" in child  # no self-alias
    assert (project / "models" / "fct_opportunities.sql").read_text() == "select 1 as won_count\n"
    yml = (project / "models" / "_models.yml").read_text()
    assert "description: opportunities_won per month." in yml
    assert "      - name: opportunities_won\n        description" in yml
    assert "  - name: fct_opportunities\n    columns:\n      - name: won_count" in yml
    assert "description: opportunities_won of the parent, opportunities_won of the child." in yml
    assert "{opportunities_won: 1}" in yml and "{won_count: 2}" in yml
    docs = (project / "models" / "_docs.md").read_text()
    assert "Opportunities won: `opportunities_won`" in docs
    assert "`won_count` of something else" in docs
    assert (
        "opportunities_won from sales.kpi_parent" in (project / "tests" / "test_x.py").read_text()
    )
    assert "won_count from core" in (project / "tests" / "test_y.py").read_text()

    before = {p: p.read_text() for p in project.rglob("*") if p.is_file()}
    run(project)
    assert {p: p.read_text() for p in project.rglob("*") if p.is_file()} == before
