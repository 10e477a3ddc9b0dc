"""The `primary_key` generic test (tests/generic/primary_key.sql), which
replaced the project's `unique` + `not_null` pairs with one test node per
key: it fails on a repeated value and on a null, one failing row per value,
and passes a clean key. Real dbt: a three-model project in a temporary
folder using the project's own test file."""

from __future__ import annotations

from pathlib import Path

import pytest
from dbt_probe import dbt_probe, probe_settings

from crm_warehouse.build import run_dbt
from crm_warehouse.settings import project_root

pytestmark = [pytest.mark.slow]

_MODELS = """
version: 2
models:
  - name: clean_key
    columns: [{name: id, data_tests: [primary_key]}]
  - name: repeated_key
    columns: [{name: id, data_tests: [primary_key]}]
  - name: null_key
    columns: [{name: id, data_tests: [primary_key]}]
"""


def test_primary_key_fails_on_a_repeat_and_a_null_and_passes_a_clean_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CRM_DBT_TARGET", raising=False)
    values = {
        "clean_key": "(1), (2), (3)",
        "repeated_key": "(1), (2), (2), (3), (3), (3)",
        "null_key": "(1), (null), (null), (2)",
    }
    files = {
        f"models/{name}.sql": f"select * from (values {rows}) as t (id)"
        for name, rows in values.items()
    }
    files["models/_models.yml"] = _MODELS
    files["tests/generic/primary_key.sql"] = (
        project_root() / "tests" / "generic" / "primary_key.sql"
    ).read_text()
    settings = probe_settings(dbt_probe(tmp_path, "pk_probe", files), tmp_path)

    result = run_dbt(settings, ["build"])

    tests = {n.unique_id.split(".")[2]: n for n in result.nodes if n.resource_type == "test"}
    assert {name: (n.status, n.failures) for name, n in tests.items()} == {
        "primary_key_clean_key_id": ("pass", 0),
        "primary_key_repeated_key_id": ("fail", 2),  # the values 2 and 3
        "primary_key_null_key_id": ("fail", 1),  # null, once however many rows
    }
