"""The house rules hold (docs/contributing.md, "House rules"): the dbt
project's layering, fan-in, naming, freshness and YAML rules on the parsed
manifest, and the Python packages' size, cycle and private-import
limits. crm_dev.project_rules is the check; this runs it in the test command
and proves on small made-up manifests that each rule can fail."""

from __future__ import annotations

import ast
import json

import pytest

from crm_dev.project_rules import manifest_violations, python_violations
from crm_warehouse.settings import Settings, project_root


@pytest.fixture(scope="module")
def manifest(tmp_path_factory) -> dict:
    """manifest.json of the project as a refresh parses it: from the parse the
    project kept (crm_warehouse.shared_parse), which dbt re-parses file by file
    wherever its checksums differ, instead of a full parse (about 14 s)."""
    from crm_warehouse.build import parse, target_path

    settings = Settings.under(tmp_path_factory.mktemp("parse"))
    parsed = parse(settings)
    assert parsed.success, parsed.error
    return json.loads((target_path(settings) / "manifest.json").read_text())


def test_the_dbt_project_keeps_the_house_rules(manifest):
    violations = [str(v) for v in manifest_violations(manifest)]
    assert violations == []


def test_the_python_packages_keep_their_limits():
    violations = [str(v) for v in python_violations(project_root() / "scripts")]
    assert violations == []


def _model(name: str, path: str, parents: list[str], **extra) -> dict:
    return {
        "resource_type": "model",
        "name": name,
        "original_file_path": f"models/{path}",
        "depends_on": {"nodes": parents},
        "description": "described",
        "columns": {},
        "config": {"meta": extra.get("meta", {})},
        "patch_path": extra.get("patch_path"),
    }


def _rules(nodes: dict, sources: dict | None = None) -> set[tuple[str, str]]:
    return {
        (v.rule, v.node) for v in manifest_violations({"nodes": nodes, "sources": sources or {}})
    }


def test_each_dbt_rule_can_fail():
    src = "source.p.crm.leads"
    nodes = {
        "model.p.stg_crm__leads": _model(
            "stg_crm__leads", "staging/crm/stg_crm__leads.sql", [src, "model.p.stg_reference__x"]
        ),
        "model.p.stg_reference__x": _model("stg_reference__x", "staging/reference/x.sql", []),
        "model.p.dq_raw": _model(
            "dq_raw", "marts/data_quality/dq_raw.sql", [src, "source.p.crm.b"]
        ),
        "model.p.fct_x": _model(
            "fct_x", "marts/core/fct_x.sql", [f"model.p.m{i}" for i in range(7)]
        ),
        "model.p.int_late": _model(
            "int_late", "intermediate/sales/int_late.sql", ["model.p.fct_x"]
        ),
        "model.p.int_early": _model(
            "int_early", "marts/sales/intermediate/int_early.sql", ["model.p.stg_reference__x"]
        ),
        "model.p.sales_report": _model("sales_report", "marts/sales/sales_report.sql", []),
    }
    nodes["model.p.sales_report"]["description"] = ""
    found = _rules(nodes)
    assert {
        ("direct_join_to_source", "stg_crm__leads"),
        ("staging_joins", "stg_crm__leads"),
        ("multiple_sources_joined", "dq_raw"),
        ("source_outside_staging", "dq_raw"),
        ("too_many_parents", "fct_x"),
        ("intermediate_tier", "int_late"),
        ("mart_intermediate_tier", "int_early"),
        ("model_naming", "sales_report"),
        ("undescribed", "sales_report"),
    } <= found


def _generic_test(name: str, attached: str) -> dict:
    return {"resource_type": "test", "test_metadata": {"name": name}, "attached_node": attached}


def test_declared_constraints_need_their_test_and_the_test_needs_constraints():
    not_null = {"name": "x_id", "constraints": [{"type": "not_null"}]}
    unchecked = _model("stg_crm__x", "staging/crm/stg_crm__x.sql", [])
    unchecked["columns"] = {"x_id": not_null}
    checked = _model("stg_crm__y", "staging/crm/stg_crm__y.sql", [])
    checked["columns"] = {"y_id": {"name": "y_id", "constraints": [{"type": "not_null"}]}}
    model_check = _model("stg_crm__z", "staging/crm/stg_crm__z.sql", [])
    model_check["constraints"] = [{"type": "check", "expression": "a <= b"}]
    nothing = _model("stg_crm__w", "staging/crm/stg_crm__w.sql", [])

    nodes = {
        "model.p.stg_crm__x": unchecked,
        "model.p.stg_crm__y": checked,
        "model.p.stg_crm__z": model_check,
        "model.p.stg_crm__w": nothing,
        "test.p.held_y": _generic_test("constraints_hold", "model.p.stg_crm__y"),
        "test.p.held_w": _generic_test("constraints_hold", "model.p.stg_crm__w"),
    }
    found = {(rule, node) for rule, node in _rules(nodes) if rule == "unchecked_constraints"}
    assert found == {
        ("unchecked_constraints", "stg_crm__x"),
        ("unchecked_constraints", "stg_crm__z"),
        ("unchecked_constraints", "stg_crm__w"),
    }


def test_a_column_declaring_not_null_where_present_needs_the_test_and_the_test_a_column():
    declared = _model("kpi_x", "marts/sales/kpi_x.sql", [])
    declared["columns"] = {"deals": {"meta": {"not_null_where_present": ["opportunities"]}}}
    checked = _model("kpi_y", "marts/sales/kpi_y.sql", [])
    checked["columns"] = {"deals": {"meta": {"not_null_where_present": ["opportunities"]}}}
    nothing = _model("kpi_z", "marts/sales/kpi_z.sql", [])
    nothing["columns"] = {"deals": {"meta": {}}}

    nodes = {
        "model.p.kpi_x": declared,
        "model.p.kpi_y": checked,
        "model.p.kpi_z": nothing,
        "test.p.present_y": _generic_test("not_null_where_present", "model.p.kpi_y"),
        "test.p.present_z": _generic_test("not_null_where_present", "model.p.kpi_z"),
    }
    found = {(rule, node) for rule, node in _rules(nodes) if rule == "unchecked_constraints"}
    assert found == {("unchecked_constraints", "kpi_x"), ("unchecked_constraints", "kpi_z")}


def test_a_declared_departure_is_accepted_for_its_rule_only():
    parents = [f"model.p.m{i}" for i in range(7)]
    departed = _model(
        "fct_x",
        "marts/core/fct_x.sql",
        parents,
        meta={"house_departures": {"too_many_parents": "a census of every table"}},
    )
    assert ("too_many_parents", "fct_x") not in _rules({"model.p.fct_x": departed})
    departed["name"] = "x_fct"
    assert ("model_naming", "x_fct") in _rules({"model.p.fct_x": departed})


def test_sources_need_freshness_and_yaml_names_are_unique():
    sources = {
        "source.p.crm.leads": {
            "unique_id": "source.p.crm.leads",
            "resource_type": "source",
            "source_name": "crm",
            "name": "leads",
            "freshness": {"warn_after": {"count": None}},
            "loaded_at_field": None,
            "original_file_path": "models/staging/crm/_crm__sources.yml",
        }
    }
    nodes = {
        "model.p.int_a": _model(
            "int_a",
            "intermediate/a/int_a.sql",
            [],
            patch_path="p://models/intermediate/a/_a__models.yml",
        ),
        "model.p.kpi_a": _model(
            "kpi_a", "marts/a/kpi_a.sql", [], patch_path="p://models/marts/a/_a__models.yml"
        ),
    }
    found = _rules(nodes, sources)
    assert ("source_freshness", "crm.leads") in found
    assert ("yaml_name_unique", "_a__models.yml") in found


def test_each_python_limit_can_fail(tmp_path):
    pkg = tmp_path / "crm_warehouse"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    body = "\n".join(f"    x{i} = {i}" for i in range(80))
    (pkg / "big.py").write_text(f"def long():\n{body}\n" + "\n" * 600)
    (pkg / "a.py").write_text("from crm_warehouse.b import _secret\n")
    (pkg / "b.py").write_text("from crm_warehouse import a\n_secret = 1\n")
    dev = tmp_path / "crm_dev"
    dev.mkdir()
    (dev / "__init__.py").write_text("")
    (pkg / "c.py").write_text("import crm_dev\n")
    found = {(v.rule, v.node) for v in python_violations(tmp_path)}
    assert found == {
        ("module_size", "crm_warehouse.big"),
        ("function_size", "crm_warehouse.big.long"),
        ("private_import", "crm_warehouse.a"),
        ("import_cycle", "crm_warehouse.a"),
        ("runtime_imports_dev_tools", "crm_warehouse.c"),
    }


def _outside_the_warehouse_group(source: str) -> list[str]:
    """Test functions of `source` that take the demo_warehouse fixture without
    the xdist group "warehouse" (on the function or as the module's pytestmark)."""
    tree = ast.parse(source)
    module_marked = any(
        isinstance(node, ast.Assign)
        and any(getattr(t, "id", None) == "pytestmark" for t in node.targets)
        and "xdist_group('warehouse')" in ast.unparse(node.value)
        for node in tree.body
    )
    return [
        node.name
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef)
        and node.name.startswith("test_")
        and "demo_warehouse" in [a.arg for a in node.args.args]
        and not module_marked
        and not any("xdist_group('warehouse')" in ast.unparse(d) for d in node.decorator_list)
    ]


def test_tests_sharing_the_demo_warehouse_run_on_its_worker():
    """conftest's demo_warehouse is built once per pytest-xdist worker: a test
    that takes it outside the "warehouse" group makes the other worker build a
    second one (minutes of the test command; it happened to test_bench_peers)."""
    tests = project_root() / "tests" / "python"
    found = {
        f"{path.relative_to(tests)}::{name}"
        for path in tests.rglob("test_*.py")
        for name in _outside_the_warehouse_group(path.read_text())
    }
    assert found == set()
    unmarked = "def test_x(demo_warehouse):\n    pass\n"
    marked = '@pytest.mark.xdist_group("warehouse")\n' + unmarked
    module = 'pytestmark = [pytest.mark.xdist_group("warehouse")]\n' + unmarked
    assert _outside_the_warehouse_group(unmarked) == ["test_x"]
    assert _outside_the_warehouse_group(marked) == _outside_the_warehouse_group(module) == []
