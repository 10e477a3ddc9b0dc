"""The `constraints_hold` generic test (tests/generic/constraints_hold.sql,
macro constraint_checks), which replaced the project's column tests
(not_null, accepted values and ranges, primary_key) and model tests
(expressions, unique combinations) with one node per model checking the
constraints its YAML declares. Real dbt: a small project in a temporary
folder using the project's own test and macro; the failing rows are read
back from the table dbt stores them in."""

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
      - name: id
        constraints: [{type: primary_key}]
      - name: amount
        constraints: [{type: not_null}, {type: check, expression: "amount >= 0", name: amount_not_negative}]
      - name: note
"""

_MODELS = f"""
version: 2
models:
  - name: clean
    data_tests: [constraints_hold]
    constraints: [{{type: check, expression: "id <= 10"}}, {{type: unique, columns: [amount, note]}}]
{_COLUMNS}
  - name: broken
    data_tests: [constraints_hold]
    constraints: [{{type: check, expression: "id <= 10"}}, {{type: unique, columns: [amount, note]}}]
{_COLUMNS}
  - name: undeclared
    data_tests: [constraints_hold]
"""

_ROWS = {
    # a check whose expression is null on a row passes it, as a CHECK does
    "clean": "(1, 5, 'a'), (2, 0, null), (10, 7, null)",
    # id null twice and 4 twice; amount null once and negative twice; the
    # model's check once; (1, 'e') twice
    "broken": (
        "(null, 5, 'a'), (null, -1, 'b'), (3, -2, 'c'), (4, null, 'd'), (11, 1, 'e'), (4, 1, 'e')"
    ),
    "undeclared": "(1, 1, 'a')",
}


def _project(tmp_path: Path) -> Path:
    files = {
        f"models/{name}.sql": f"select * from (values {rows}) as t (id, amount, note)"
        for name, rows in _ROWS.items()
    }
    files["models/_models.yml"] = _MODELS
    for path in ("tests/generic/constraints_hold.sql", "macros/data_quality/constraint_checks.sql"):
        files[path] = (project_root() / path).read_text()
    return dbt_probe(tmp_path, "constraints_probe", files, project_extra="macro-paths: [macros]\n")


def test_each_broken_constraint_is_one_failing_row_and_a_clean_model_passes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CRM_DBT_TARGET", raising=False)
    settings = probe_settings(_project(tmp_path), tmp_path)

    result = run_dbt(settings, ["build", "--exclude", "undeclared", "--store-failures"])

    tests = {n.unique_id.split(".")[2]: n for n in result.nodes if n.resource_type == "test"}
    assert {name: (n.status, n.failures) for name, n in tests.items()} == {
        "constraints_hold_clean_": ("pass", 0),
        "constraints_hold_broken_": ("fail", 5),
    }
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        rows = con.sql(
            "select column_name, constraint_name, failing_rows"
            " from main_dbt_test__audit.constraints_hold_broken_ order by all"
        ).fetchall()
    assert rows == [
        ("amount", "amount_not_negative", 2),
        ("amount", "not_null", 1),
        ("amount, note", "unique", 1),  # (1, 'e') twice
        ("id", "primary_key", 2),  # null and 4, each twice
        (None, "check_4", 1),  # the model's id <= 10
    ]


def test_a_model_declaring_no_constraint_fails_to_compile(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CRM_DBT_TARGET", raising=False)
    settings = probe_settings(_project(tmp_path), tmp_path)

    result = run_dbt(settings, ["build", "--select", "undeclared"])

    (test,) = [n for n in result.nodes if n.resource_type == "test"]
    assert test.status == "error"
    assert "undeclared declares no constraint to check" in (test.message or "")
