"""A dbt build whose nodes run out of DuckDB memory runs them again with one
dbt thread in a fresh DuckDB instance (crm_warehouse.build.retry_out_of_memory),
again only while a retry clears some: at scale 100 two large queries at once
exhausted the one memory_limit two threads share, and two data tests that
ran out of memory after the 1 % batch's merges passed in the next dbt
command (docs/performance.md). The build here is real: a three-model project
in a temporary folder, on a DuckDB file limited to 100MB, one of whose
models needs more than that whatever else runs, so one retry clears nothing
and there is no second."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from dbt_probe import dbt_probe, probe_settings

from crm_warehouse.build import (
    DbtResult,
    NodeResult,
    after_retry,
    dbt_build,
    out_of_memory_nodes,
    target_path,
)
from crm_warehouse.settings import Settings

pytestmark = [pytest.mark.slow]

#: A 50 MB string built in one aggregate: DuckDB cannot spill it.
_TOO_BIG = "select length(string_agg(md5(range::varchar), ',')) as n from range(1500000)"

_MODELS = {
    "models/too_big.sql": _TOO_BIG,
    "models/small.sql": "select 1 as n",
    "models/after_too_big.sql": "select n from {{ ref('too_big') }}",
}


def _probe_project(base: Path) -> Settings:
    extra = "models:\n  retry_probe:\n    +materialized: table\n"
    root = dbt_probe(base, "retry_probe", _MODELS, extra, threads=2, memory_limit="100MB")
    return probe_settings(root, base)


def test_a_node_out_of_memory_with_two_threads_runs_again_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CRM_DBT_THREADS", raising=False)
    monkeypatch.delenv("CRM_DBT_TARGET", raising=False)
    settings = _probe_project(tmp_path)

    result = dbt_build(settings)

    assert result.retried_alone == ["model.retry_probe.too_big"]
    assert result.retries == 1, "a retry that cleared nothing is not repeated"
    assert not result.success, "the model needs more than 100MB even alone"
    status = {n.unique_id: n.status for n in result.nodes}
    assert status == {
        "model.retry_probe.small": "success",
        "model.retry_probe.too_big": "error",
        "model.retry_probe.after_too_big": "skipped",
    }
    assert "Out of Memory Error" in next(
        n.message or "" for n in result.nodes if n.unique_id.endswith("too_big")
    )
    # the last dbt command was the retry: one thread, the failed and skipped nodes only
    last = json.loads((target_path(settings) / "run_results.json").read_text())
    assert last["args"]["threads"] == 1
    assert sorted(r["unique_id"] for r in last["results"]) == [
        "model.retry_probe.after_too_big",
        "model.retry_probe.too_big",
    ]


def test_a_one_thread_build_is_run_again_in_a_fresh_instance(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CRM_DBT_TARGET", raising=False)
    settings = _probe_project(tmp_path)

    result = dbt_build(settings, ["--threads", "1"])

    assert not result.success
    assert (result.retried_alone, result.retries) == (["model.retry_probe.too_big"], 1)
    # the last dbt command was the retry: the failed and skipped nodes only
    last = json.loads((target_path(settings) / "run_results.json").read_text())
    assert "model.retry_probe.small" not in {r["unique_id"] for r in last["results"]}


def test_another_target_is_not_run_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Retrying is for DuckDB's memory limit: with CRM_DBT_TARGET naming
    another engine a failure stands as it is (the probe's profile has only
    DuckDB, so the build runs there all the same)."""
    settings = _probe_project(tmp_path)
    monkeypatch.setenv("CRM_DBT_TARGET", "postgres")

    result = dbt_build(settings)

    assert not result.success
    assert (result.retried_alone, result.retries) == ([], 0)


def _node(uid: str, status: str, message: str | None = None) -> NodeResult:
    return NodeResult(
        unique_id=uid, resource_type=uid.split(".")[0], status=status, seconds=1.0, message=message
    )


def test_after_retry_keeps_the_first_runs_other_nodes_and_the_retrys_outcome() -> None:
    oom = "Out of Memory Error: failed to pin block of size 256.0 KiB (1.3 GiB/1.3 GiB used)"
    first = DbtResult(
        command=["dbt", "build"],
        success=False,
        nodes=[
            _node("model.p.a", "success"),
            _node("model.p.big", "error", oom),
            _node("test.p.unique_big_id", "error", oom),
            _node("test.p.not_null_a_id", "fail", "Got 2 results"),
            _node("model.p.after_big", "skipped"),
        ],
    )
    assert out_of_memory_nodes(first) == ["model.p.big", "test.p.unique_big_id"]
    retried = DbtResult(
        command=["dbt", "retry", "--threads", "1"],
        success=False,
        nodes=[
            _node("model.p.big", "success"),
            _node("test.p.unique_big_id", "pass"),
            _node("test.p.not_null_a_id", "fail", "Got 2 results"),
            _node("model.p.after_big", "success"),
        ],
    )

    merged = after_retry(first, retried, out_of_memory_nodes(first))

    assert merged.command == ["dbt", "build"]
    assert not merged.success, "a data test that failed still fails"
    assert [(n.unique_id, n.status) for n in merged.nodes] == [
        ("model.p.a", "success"),
        ("model.p.big", "success"),
        ("test.p.unique_big_id", "pass"),
        ("test.p.not_null_a_id", "fail"),
        ("model.p.after_big", "success"),
    ]
    assert merged.retried_alone == ["model.p.big", "test.p.unique_big_id"]
    assert merged.retries == 1
    assert out_of_memory_nodes(merged) == []
    again = after_retry(merged, retried, ["test.p.unique_big_id", "model.p.other"])
    assert again.retried_alone == ["model.p.big", "test.p.unique_big_id", "model.p.other"]
    assert again.retries == 2


def test_a_successful_build_has_no_out_of_memory_nodes() -> None:
    ok = DbtResult(command=["dbt", "build"], success=True, nodes=[_node("model.p.a", "success")])
    assert out_of_memory_nodes(ok) == []
