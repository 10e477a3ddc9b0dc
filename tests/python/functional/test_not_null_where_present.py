"""The `not_null_where_present` generic test (tests/generic/not_null_where_present.sql,
macro not_null_where_present_checks): one node per model checks every column
whose config declares `meta: {not_null_where_present: [<entities>]}`, where
there was one test per column. A null is allowed only when the export lacks
an entity (int_export_entities_counted), as "unknown is not zero" wants. Real
dbt: a small project in a temporary folder using the project's own test and
macros; the failing rows are read back from the table dbt stores them in."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from dbt_probe import dbt_probe, probe_settings

from crm_warehouse.build import run_dbt
from crm_warehouse.settings import project_root

pytestmark = [pytest.mark.slow]

_COLUMNS = """
    columns:
      - name: leads_created
        config:
          meta: {not_null_where_present: [leads]}
      - name: cases_opened
        config:
          meta: {not_null_where_present: [support_cases]}
      - name: calls
        config:
          meta: {not_null_where_present: [activities]}
      - name: note
"""

_MODELS = f"""
version: 2
models:
  - name: clean
    data_tests: [not_null_where_present]
{_COLUMNS}
  - name: broken
    data_tests: [not_null_where_present]
{_COLUMNS}
  - name: undeclared
    data_tests: [not_null_where_present]
  - name: misdeclared
    data_tests: [not_null_where_present]
    columns:
      - name: leads_created
        config:
          meta: {{not_null_where_present: leads}}
"""

_ROWS = {
    # leads present: never null; support cases and activities absent: null is their unknown
    "clean": "(5, null, null, 'a'), (0, 2, null, null)",
    # leads_created null twice where leads are present; calls null where
    # activities are present (and `note` declares nothing)
    "broken": "(null, null, 1, 'a'), (null, 3, null, null), (7, null, 2, null)",
    "undeclared": "(1, 1, 1, 'a')",
    "misdeclared": "(1, 1, 1, 'a')",
}

# leads and activities present, support cases absent; an entity not listed
# counts as absent (entities_present needs all it names)
_ENTITIES = "select * from (values ('leads', true), ('support_cases', false)) as t (entity_name, is_present)"


def _project(tmp_path: Path, activities_present: bool) -> Path:
    files = {
        f"models/{name}.sql": (
            f"select * from (values {rows}) as t (leads_created, cases_opened, calls, note)"
        )
        for name, rows in _ROWS.items()
    }
    entities = _ENTITIES.replace(
        "('support_cases', false)", "('support_cases', false), ('activities', true)"
    )
    files["models/int_export_entities_counted.sql"] = entities if activities_present else _ENTITIES
    files["models/_models.yml"] = _MODELS
    for path in (
        "tests/generic/not_null_where_present.sql",
        "macros/data_quality/constraint_checks.sql",
        "macros/data_quality/entity_presence.sql",
        "macros/data_quality/contract_metadata.sql",
    ):
        files[path] = (project_root() / path).read_text()
    return dbt_probe(tmp_path, "present_probe", files, project_extra="macro-paths: [macros]\n")


def _build(tmp_path: Path, activities_present: bool) -> tuple[dict[str, tuple[str, int]], list]:
    settings = probe_settings(_project(tmp_path, activities_present), tmp_path)
    run_dbt(settings, ["run", "--select", "int_export_entities_counted"])
    result = run_dbt(settings, ["build", "--select", "clean", "broken", "--store-failures"])
    tests = {n.unique_id.split(".")[2]: n for n in result.nodes if n.resource_type == "test"}
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        rows = con.sql(
            "select column_name, entities, failing_rows"
            " from main_dbt_test__audit.not_null_where_present_broken_ order by all"
        ).fetchall()
    return {name: (n.status, n.failures) for name, n in tests.items()}, rows


@pytest.mark.parametrize(
    ("activities_present", "statuses", "rows"),
    [
        (
            True,
            {
                # its calls are null where activities are present
                "not_null_where_present_clean_": ("fail", 1),
                "not_null_where_present_broken_": ("fail", 2),
            },
            # cases_opened is null twice as well, but the export has no support cases
            [("calls", "activities", 1), ("leads_created", "leads", 2)],
        ),
        (
            False,
            {
                "not_null_where_present_clean_": ("pass", 0),
                "not_null_where_present_broken_": ("fail", 1),
            },
            [("leads_created", "leads", 2)],
        ),
    ],
    ids=["activities present", "activities absent"],
)
def test_a_null_fails_only_where_its_entities_are_present(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    activities_present: bool,
    statuses: dict[str, tuple[str, int]],
    rows: list[tuple[str, str, int]],
) -> None:
    monkeypatch.delenv("CRM_DBT_TARGET", raising=False)

    assert _build(tmp_path, activities_present) == (statuses, rows)


@pytest.mark.parametrize(
    ("model", "message"),
    [
        ("undeclared", "undeclared declares no column with meta not_null_where_present"),
        ("misdeclared", "misdeclared.leads_created declares leads; give a list"),
    ],
)
def test_a_model_declaring_nothing_or_no_list_fails_to_compile(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, model: str, message: str
) -> None:
    monkeypatch.delenv("CRM_DBT_TARGET", raising=False)
    settings = probe_settings(_project(tmp_path, activities_present=True), tmp_path)

    run_dbt(settings, ["run", "--select", "int_export_entities_counted"])
    result = run_dbt(settings, ["build", "--select", model])

    (test,) = [n for n in result.nodes if n.resource_type == "test"]
    assert test.status == "error"
    assert message in (test.message or "")
