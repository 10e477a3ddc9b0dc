"""The portability check's own logic, without starting any engine: canonical
values, tolerances, matching rows on a key or by sorting, the report, the
manifest's mart keys, and the name-length limit PostgreSQL puts on relations
(dbt creates one per unit test)."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml

from crm_dev.portability.compare import (
    Mart,
    MartDiff,
    Table,
    canonical,
    column_kind,
    compare_tables,
    marts_from_manifest,
    values_equal,
)
from crm_dev.portability.dbt_runs import merge_runs, sample_data_tests, summarize_run_results
from crm_dev.portability.engines.postgres import postgres_type
from crm_dev.portability.engines.spark import spark_profile_conf
from crm_dev.portability.report import CheckReport, format_report
from crm_warehouse.imports.seeds import YAML_LOADER
from crm_warehouse.settings import project_root


def test_column_kind_from_duckdb_types() -> None:
    assert column_kind("DECIMAL(18,2)") == "money"
    assert column_kind("DECIMAL(18,6)") == "number"
    assert column_kind("DOUBLE") == "number"
    assert column_kind("BIGINT") == "int"
    assert column_kind("BOOLEAN") == "bool"
    assert column_kind("DATE") == "date"
    assert column_kind("TIMESTAMP WITH TIME ZONE") == "timestamp"
    assert column_kind("VARCHAR") == "text"


def test_canonical_values_agree_across_drivers() -> None:
    # DuckDB and psycopg2 hand back Decimal, Spark's Arrow a Decimal too; NaN is null
    assert canonical(Decimal("12.50")) == canonical(12.5)
    assert canonical(float("nan")) is None
    assert canonical(Decimal("NaN")) is None
    # an aware timestamp is UTC without an offset; a naive one is kept
    aware = dt.datetime(2024, 3, 1, 12, 0, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    assert canonical(aware) == "2024-03-01 10:00:00"
    assert canonical(dt.datetime(2024, 3, 1, 10, 0)) == "2024-03-01 10:00:00"
    assert canonical(dt.date(2024, 3, 1)) == "2024-03-01"
    assert canonical(True) is True


@pytest.mark.parametrize(
    ("a", "b", "kind", "equal"),
    [
        (10.01, 10.01, "money", True),
        (10.01, 10.02, "money", False),  # one cent apart
        (0.123456, 0.123456 + 1e-12, "number", True),
        (0.123456, 0.123457, "number", False),
        (1.0e6, 1.0e6 * (1 + 1e-12), "number", True),  # relative above 1
        (3, 3, "int", True),
        (3, 4, "int", False),
        (None, None, "number", True),
        (None, 0, "number", False),
        (True, "true", "bool", True),
        ("2024-03-01 10:00:00", "2024-03-01 10:00:00.000000", "timestamp", True),
        ("2024-03-01", "2024-03-01 00:00:00", "date", True),
        ("a", "A", "text", False),
    ],
)
def test_values_equal_within_the_kinds_tolerance(
    a: object, b: object, kind: str, equal: bool
) -> None:
    assert values_equal(a, b, kind) is equal


KINDS = {"id": "text", "amount": "money", "rate": "number"}


def test_rows_matched_on_the_key_whatever_their_order() -> None:
    ref = Table(["id", "amount", "rate"], [("a", 1.0, 0.5), ("b", 2.0, None)])
    other = Table(["rate", "id", "amount"], [(None, "b", 2.0), (0.5, "a", 1.0)])
    diff = compare_tables("m", "spark", ref, other, KINDS, key=("id",))
    assert diff.ok, diff.first_difference


def test_a_differing_value_names_the_row_and_column() -> None:
    ref = Table(["id", "amount", "rate"], [("a", 1.0, 0.5), ("b", 2.0, 0.25)])
    other = Table(["id", "amount", "rate"], [("a", 1.0, 0.5), ("b", 2.01, 0.25)])
    diff = compare_tables("m", "postgres", ref, other, KINDS, key=("id",))
    assert (diff.differing, diff.missing, diff.extra) == (1, 0, 0)
    assert "amount" in diff.first_difference and "id='b'" in diff.first_difference


def test_missing_and_extra_rows_are_counted() -> None:
    ref = Table(["id", "amount", "rate"], [("a", 1.0, 0.5), ("b", 2.0, 0.25)])
    other = Table(["id", "amount", "rate"], [("a", 1.0, 0.5), ("c", 2.0, 0.25)])
    diff = compare_tables("m", "spark", ref, other, KINDS, key=("id",))
    assert (diff.missing, diff.extra) == (1, 1)
    assert not diff.ok


def test_without_a_key_rows_are_sorted_on_every_column() -> None:
    ref = Table(["id", "amount", "rate"], [("x", 1.0, 0.5), ("x", 2.0, 0.5), (None, 0.0, None)])
    other = Table(["id", "amount", "rate"], [("x", 2.0, 0.5), (None, 0.0, None), ("x", 1.0, 0.5)])
    assert compare_tables("m", "spark", ref, other, KINDS).ok
    shorter = Table(["id", "amount", "rate"], other.rows[:2])
    diff = compare_tables("m", "spark", ref, shorter, KINDS)
    assert not diff.ok and diff.missing == 1


def test_a_duplicated_key_falls_back_to_sorting() -> None:
    ref = Table(["id", "amount", "rate"], [("a", 1.0, 0.5), ("a", 2.0, 0.5)])
    other = Table(["id", "amount", "rate"], [("a", 2.0, 0.5), ("a", 1.0, 0.5)])
    assert compare_tables("m", "spark", ref, other, KINDS, key=("id",)).ok


def test_a_missing_column_is_a_difference() -> None:
    ref = Table(["id", "amount", "rate"], [("a", 1.0, 0.5)])
    other = Table(["id", "amount"], [("a", 1.0)])
    diff = compare_tables("m", "spark", ref, other, KINDS, key=("id",))
    assert not diff.ok and "rate" in diff.first_difference


def test_report_lists_every_mart_and_the_first_difference() -> None:
    report = CheckReport(
        marts=[Mart("kpi_a", "sales", ("id",)), Mart("kpi_b", "sales", None)],
        diffs=[
            MartDiff("sales.kpi_a", "postgres", rows=2, reference_rows=2),
            MartDiff(
                "sales.kpi_a",
                "spark",
                rows=2,
                reference_rows=2,
                differing=1,
                first_difference="x at (id='a')",
            ),
            MartDiff("sales.kpi_b", "postgres", rows=0, reference_rows=3, error="relation missing"),
        ],
    )
    text = format_report(report, ["duckdb", "postgres", "spark"])
    assert "sales.kpi_a" in text and "sales.kpi_b" in text
    assert "ok (2)" in text
    assert "x at (id='a')" in text and "relation missing" in text
    assert "1 of 3 mart copies match duckdb" in text


def _model_node(name: str, schema: str, folder: str, **extra: Any) -> dict[str, Any]:
    """A model entry of a manifest, under models/<folder>/."""
    return {
        "resource_type": "model",
        "name": name,
        "schema": schema,
        "original_file_path": f"models/{folder}/{name}.sql",
        "config": {"enabled": True},
        **extra,
    }


def test_marts_and_their_keys_come_from_the_manifest(tmp_path: Path) -> None:
    manifest = {
        "nodes": {
            "model.p.kpi_a": _model_node("kpi_a", "sales", "marts/sales", alias="kpi_a"),
            "model.p.dim_b": _model_node("dim_b", "core", "marts/core"),
            "test.p.pk": {
                "resource_type": "test",
                "attached_node": "model.p.dim_b",
                "column_name": "b_id",
                "test_metadata": {"name": "primary_key", "kwargs": {}},
            },
            "model.p.stg_x": _model_node("stg_x", "staging", "staging"),
            "test.p.u": {
                "resource_type": "test",
                "attached_node": "model.p.kpi_a",
                "column_name": "month_start_date",
                "test_metadata": {"name": "unique", "kwargs": {}},
            },
            "test.p.c": {
                "resource_type": "test",
                "attached_node": "model.p.kpi_a",
                "test_metadata": {
                    "name": "unique_combination_of_columns",
                    "kwargs": {"combination_of_columns": ["owner_id", "month_start_date"]},
                },
            },
            # keys declared as constraints (checked by constraints_hold)
            "model.p.kpi_c": _model_node(
                "kpi_c",
                "sales",
                "marts/sales",
                constraints=[
                    {"type": "check", "expression": "a <= b"},
                    {"type": "unique", "columns": ["month_start_date", "dimension_value"]},
                ],
                columns={"c_id": {"constraints": [{"type": "primary_key"}]}},
            ),
            "model.p.dim_d": _model_node(
                "dim_d",
                "core",
                "marts/core",
                columns={
                    "note": {"constraints": [{"type": "not_null"}]},
                    "d_id": {"constraints": [{"type": "not_null"}, {"type": "primary_key"}]},
                },
            ),
        }
    }
    path = tmp_path / "manifest.json"
    path.write_text(json.dumps(manifest))
    assert marts_from_manifest(path) == [
        Mart("dim_b", "core", ("b_id",)),
        Mart("dim_d", "core", ("d_id",)),
        Mart("kpi_a", "sales", ("owner_id", "month_start_date")),
        Mart("kpi_c", "sales", ("month_start_date", "dimension_value")),
    ]


def test_run_results_summary_fails_on_errors_not_warnings(tmp_path: Path) -> None:
    path = tmp_path / "run_results.json"
    path.write_text(
        json.dumps(
            {
                "results": [
                    {"unique_id": "model.p.a", "status": "success", "message": None},
                    {"unique_id": "test.p.t", "status": "warn", "message": "Got 3 results"},
                    {"unique_id": "unit_test.p.m.u", "status": "fail", "message": "actual differs"},
                ]
            }
        )
    )
    run = summarize_run_results("spark", path, 1.0)
    assert run.counts == {"model:success": 1, "test:warn": 1, "unit_test:fail": 1}
    assert not run.success and run.problems == ["fail: unit_test.p.m.u: actual differs"]
    assert not summarize_run_results("spark", tmp_path / "none.json", 1.0).success


def test_spark_samples_one_data_test_per_generic_test_preferring_marts(tmp_path: Path) -> None:
    def model(path: str) -> dict[str, str]:
        return {"resource_type": "model", "original_file_path": path}

    def test(name: str, generic: str | None, attached: str) -> dict[str, object]:
        node: dict[str, object] = {"resource_type": "test", "name": name, "attached_node": attached}
        if generic:
            node["test_metadata"] = {"name": generic, "namespace": None}
        return node

    nodes = {
        "model.p.stg": model("models/staging/stg.sql"),
        "model.p.kpi": model("models/marts/sales/kpi.sql"),
        "test.p.a": test("not_null_stg_id", "not_null", "model.p.stg"),
        "test.p.b": test("not_null_kpi_id", "not_null", "model.p.kpi"),
        "test.p.c": test("unique_kpi_id", "unique", "model.p.kpi"),
        "test.p.d": test("unique_kpi_other", "unique", "model.p.kpi"),
        "test.p.e": test("assert_totals_match", None, ""),
    }
    path = tmp_path / "manifest.json"
    path.write_text(json.dumps({"nodes": nodes}))
    assert sample_data_tests(path) == ["assert_totals_match", "not_null_kpi_id", "unique_kpi_id"]


def test_two_invocations_merge_into_one_engine_result() -> None:
    from crm_dev.portability.dbt_runs import EngineRun

    build = EngineRun("spark", 100.0, True, {"model:success": 3, "test:pass": 1})
    tests = EngineRun("spark", 10.0, False, {"test:pass": 2, "test:fail": 1}, ["fail: test.p.x: 1"])
    merged = merge_runs(build, tests)
    assert merged.counts == {"model:success": 3, "test:pass": 3, "test:fail": 1}
    assert not merged.success and merged.seconds == 110.0 and merged.problems == tests.problems


def test_postgres_types_of_raw_columns() -> None:
    assert postgres_type("DECIMAL(18,2)") == "numeric(18,2)"
    assert postgres_type("TIMESTAMP WITH TIME ZONE") == "timestamptz"
    assert postgres_type("VARCHAR") == "text"


def test_spark_session_settings_come_from_the_profile(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CRM_SPARK_DIR", "/tmp/somewhere")
    conf = spark_profile_conf()
    assert conf["spark.sql.warehouse.dir"] == "/tmp/somewhere/warehouse"
    assert conf["spark.sql.session.timeZone"] == "UTC"


def _unit_test_names() -> list[tuple[str, str]]:
    names = []
    for path in sorted((project_root() / "models").rglob("*.yml")):
        doc = yaml.load(path.read_text(), Loader=YAML_LOADER) or {}
        for unit_test in doc.get("unit_tests") or []:
            names.append((str(path.relative_to(project_root())), unit_test["name"]))
    return names


def test_relation_names_fit_postgres_63_character_limit() -> None:
    """dbt-postgres creates a relation named after each unit test; PostgreSQL
    cuts identifiers at 63 characters and dbt refuses longer names."""
    too_long = [f"{path}: {name}" for path, name in _unit_test_names() if len(name) > 63]
    too_long += [
        str(p.relative_to(project_root()))
        for p in (project_root() / "models").rglob("*.sql")
        if len(p.stem) > 63
    ]
    assert not too_long, "names over 63 characters: " + "; ".join(too_long)
