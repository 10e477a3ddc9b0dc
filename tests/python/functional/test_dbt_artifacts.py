"""The artifacts a build leaves in the target folder (crm_warehouse.build.run_dbt):
the parse writes manifest.json and semantic_manifest.json once, and a build
handed that parse does not write them again (dbt's second manifest.json is
about 0.6 s of each build, docs/performance.md); run_results.json is
written all the same, by run_dbt, as `dbt retry` and the refresh's change
detection read it. A real dbt build of a two-model project."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from dbt_probe import dbt_probe, probe_settings

from crm_warehouse.build import dbt_build, parse, target_path

pytestmark = [pytest.mark.slow]

_MODELS = {
    "models/first.sql": "select 1 as n",
    "models/second.sql": "select n + 1 as n from {{ ref('first') }}",
    "models/schema.yml": (
        "models:\n  - name: second\n    columns:\n      - name: n\n        data_tests: [not_null]\n"
    ),
}


def test_a_build_on_a_parse_writes_its_results_and_leaves_the_parses_manifest(
    tmp_path: Path,
) -> None:
    settings = probe_settings(dbt_probe(tmp_path, "artifacts_probe", _MODELS), tmp_path)
    parsed = parse(settings)
    assert parsed.success, parsed.error
    target = target_path(settings)
    written = {
        name: ((target / name).stat().st_mtime_ns, (target / name).read_bytes())
        for name in ("manifest.json", "semantic_manifest.json")
    }

    result = dbt_build(settings, manifest=parsed.output)

    assert result.success, result.error
    for name, (stamp, content) in written.items():
        after = ((target / name).stat().st_mtime_ns, (target / name).read_bytes())
        assert after == (stamp, content), f"{name} was written again"
    run_results = json.loads((target / "run_results.json").read_text())
    assert run_results["args"]["which"] == "build"
    # a test's id ends in a hash of its arguments: named here without it
    status = {
        (uid.rsplit(".", 1)[0] if uid.startswith("test.") else uid): r["status"]
        for r in run_results["results"]
        for uid in [r["unique_id"]]
    }
    assert status == {
        "model.artifacts_probe.first": "success",
        "model.artifacts_probe.second": "success",
        "test.artifacts_probe.not_null_second_n": "pass",
    }, status
    assert len(run_results["results"]) == 3
    # each model's compiled SQL, which dbt's second manifest.json would have carried
    compiled = {r["unique_id"]: r["compiled_code"] for r in run_results["results"]}
    assert "first" in compiled["model.artifacts_probe.second"]


def test_a_build_that_parses_itself_leaves_a_manifest_and_its_results(tmp_path: Path) -> None:
    settings = probe_settings(dbt_probe(tmp_path, "artifacts_probe", _MODELS), tmp_path)

    result = dbt_build(settings)

    assert result.success, result.error
    target = target_path(settings)
    manifest = json.loads((target / "manifest.json").read_text())
    assert "model.artifacts_probe.second" in manifest["nodes"]
    assert (target / "semantic_manifest.json").is_file()
    run_results = json.loads((target / "run_results.json").read_text())
    assert len(run_results["results"]) == 3
