"""The offline wrapper of MetricFlow's `mf` CLI (crm_warehouse.semantic.offline):
dbt-metricflow asks PyPI for a newer version on every command; through the
wrapper that check answers without a socket, and everything it patches is put
back afterwards. (The full CLI on a built warehouse: functional/test_semantic_layer.py.)"""

from __future__ import annotations

import signal
import socket
from pathlib import Path
from typing import Any

import pytest


@pytest.fixture
def connections(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Socket connections attempted during the test (each one refused)."""
    attempts: list[Any] = []

    def refuse(*args: Any, **kwargs: Any) -> Any:
        attempts.append(args[:2])
        raise OSError("no network in this test")

    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    return attempts


def test_the_update_check_of_dbt_metricflow_calls_pypi(connections: list[Any]) -> None:
    """What the wrapper guards against: the check mf runs goes to the network."""
    from update_checker import UpdateChecker

    assert UpdateChecker(bypass_cache=True).check("dbt-metricflow", "0.15.0") is None
    assert connections, "UpdateChecker.check made no connection attempt"


def test_inside_the_wrapper_the_check_makes_no_connection(
    connections: list[Any], tmp_path: Path
) -> None:
    from update_checker import UpdateChecker

    from crm_warehouse.semantic.offline import offline_patches

    original = UpdateChecker.__dict__["check"]
    handler = signal.getsignal(signal.SIGINT)
    with offline_patches(tmp_path / "semantic_manifest.json"):
        assert UpdateChecker(bypass_cache=True).check("dbt-metricflow", "0.15.0") is None
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # as `mf` does with its own handler
    assert connections == []
    assert UpdateChecker.__dict__["check"] is original
    assert signal.getsignal(signal.SIGINT) is handler


def test_mf_help_through_the_wrapper(
    connections: list[Any], capsys: pytest.CaptureFixture[str]
) -> None:
    from crm_warehouse.semantic.offline import run_mf
    from crm_warehouse.settings import Settings

    assert run_mf(Settings.from_env(), ["--help"]) == 0
    out = capsys.readouterr().out
    assert "validate-configs" in out and "query" in out
    assert connections == []


def test_the_docs_name_every_metric_with_its_type() -> None:
    """docs/semantic_layer.md lists each metric of models/semantic/ with its type."""
    import yaml

    from crm_warehouse.settings import project_root

    root = project_root()
    docs = (root / "docs" / "semantic_layer.md").read_text()
    metrics = [
        m
        for path in sorted((root / "models" / "semantic").glob("*.yml"))
        for m in (yaml.safe_load(path.read_text()) or {}).get("metrics", [])
    ]
    assert len(metrics) >= 40
    missing = [m["name"] for m in metrics if f"| `{m['name']}` | {m['type']} |" not in docs]
    assert missing == []


# ------------------------------------------------------ saved-query exports (no warehouse)


class _Client:
    """A MetricFlow SQL client that records what it is told to execute."""

    def __init__(self) -> None:
        self.executed: list[str] = []

    def execute(self, sql: str) -> None:
        self.executed.append(sql)


def _saved_query(export_as: str = "table") -> Any:
    from types import SimpleNamespace

    config = SimpleNamespace(export_as=export_as, schema_name=None, alias=None)
    return SimpleNamespace(
        name="sales_monthly",
        description="Sales by month.",
        exports=[SimpleNamespace(name="sales_monthly", config=config)],
    )


def test_a_saved_query_that_fails_leaves_no_table_and_is_named() -> None:
    """Never last run's numbers under this run's name: the table is dropped."""
    from types import SimpleNamespace

    from crm_warehouse.semantic.exports import ExportResult, write_export

    class Engine:
        def explain(self, request: Any) -> Any:
            raise RuntimeError("metric won_revenue does not exist")

    client = _Client()
    mf = SimpleNamespace(engine=Engine(), config=SimpleNamespace(sql_client=client))
    result = ExportResult()
    write_export(mf, _saved_query(), result, {})
    assert result.tables == []
    assert result.failed == {"sales_monthly": "RuntimeError: metric won_revenue does not exist"}
    assert client.executed == ['drop table if exists "metrics"."sales_monthly"']


def test_only_table_exports_are_materialised() -> None:
    from types import SimpleNamespace

    from crm_warehouse.semantic.exports import SCHEMA, ExportResult, write_export

    client = _Client()
    result = ExportResult()
    write_export(
        SimpleNamespace(config=SimpleNamespace(sql_client=client)), _saved_query("view"), result, {}
    )
    assert "only export_as: table is materialised offline" in result.failed["sales_monthly"]
    assert client.executed == []
    assert SCHEMA == "metrics"


def test_the_refresh_step_names_a_semantic_layer_that_cannot_start(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """MetricFlow failing to start marks the step failed with the reason; the
    refresh goes on to publish the marts."""
    from datetime import UTC, datetime

    from crm_warehouse.pipeline import RunReport
    from crm_warehouse.semantic import exports
    from crm_warehouse.settings import Settings

    def broken(settings: Any) -> Any:
        raise RuntimeError("dbt parse did not write target/semantic_manifest.json")

    monkeypatch.setattr(exports, "_materialise", broken)
    report = RunReport(run_id="r1", started_at=datetime.now(UTC))
    result = exports.materialise_saved_queries(Settings.under(tmp_path), report)
    step = report.steps[-1]
    assert (step.name, step.status) == ("metrics", "failed")
    assert step.details["failed"] == {
        "*": "RuntimeError: dbt parse did not write target/semantic_manifest.json"
    }
    assert result.tables == []


def test_the_published_schemas_include_metrics() -> None:
    from crm_warehouse.semantic import SCHEMA
    from crm_warehouse.serve.publish import published_schemas
    from crm_warehouse.settings import project_root

    assert SCHEMA in published_schemas(project_root())


def test_a_metric_over_a_table_the_export_lacks_is_unknown() -> None:
    """Unknown is not zero: an export without leads gets null leads metrics in
    the saved-query tables (MetricFlow would fill 0), the others keep theirs."""
    from crm_warehouse.semantic.exports import unknown_metrics

    manifest = {
        "semantic_models": [
            {
                "config": {"meta": {"crm_entities": ["leads"]}},
                "measures": [{"name": "leads_count"}],
            },
            {
                "config": {"meta": {"crm_entities": ["opportunities"]}},
                "measures": [{"name": "won_amount"}],
            },
            {"config": {"meta": {}}, "measures": [{"name": "customers_count"}]},
        ],
        "metrics": [
            {"name": "leads_created", "type_params": {"input_measures": [{"name": "leads_count"}]}},
            {"name": "won_revenue", "type_params": {"input_measures": [{"name": "won_amount"}]}},
            {
                "name": "revenue_per_lead",
                "type_params": {
                    "input_measures": [{"name": "won_amount"}, {"name": "leads_count"}]
                },
            },
            {
                "name": "new_customers",
                "type_params": {"input_measures": [{"name": "customers_count"}]},
            },
        ],
    }
    assert unknown_metrics(manifest, {"leads", "cases"}) == {"leads_created", "revenue_per_lead"}
    assert unknown_metrics(manifest, set()) == set()


def test_every_semantic_model_names_the_raw_tables_it_counts() -> None:
    import yaml

    from crm_warehouse.ingest.contract import load_contract
    from crm_warehouse.settings import project_root

    tables = set(load_contract().names)
    models = [
        model
        for path in sorted((project_root() / "models" / "semantic").glob("*.yml"))
        for model in (yaml.safe_load(path.read_text()) or {}).get("semantic_models", [])
    ]
    assert len(models) >= 10
    for model in models:
        named = model["config"]["meta"]["crm_entities"]
        assert set(named) <= tables, (model["name"], named)


def test_saved_query_sql_is_planned_once_per_semantic_manifest(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """MetricFlow plans a saved query again only when what its SQL is compiled
    from changed (the semantic manifest's text, MetricFlow, the engine)."""
    from crm_warehouse.semantic import exports
    from crm_warehouse.settings import Settings

    planned: list[str] = []

    def plan(mf: Any, name: str) -> str:
        planned.append(name)
        return f"select {len(planned)} as sql_of_{name}"

    monkeypatch.setattr(exports, "_compiled_sql", plan)
    settings = Settings(
        root=tmp_path,
        landing_dir=tmp_path / "l",
        quarantine_dir=tmp_path / "q",
        warehouse_path=tmp_path / "w" / "wh.duckdb",
        publish_dir=tmp_path / "p",
    )

    first = exports.CompiledSql(settings, '{"metrics": [1]}', "DuckDB")
    assert first.of(None, "a") == "select 1 as sql_of_a" and first.of(None, "a") == first.sql["a"]
    first.keep()
    assert planned == ["a"] and first.path.is_file()

    again = exports.CompiledSql(settings, '{"metrics": [1]}', "DuckDB")
    assert again.of(None, "a") == "select 1 as sql_of_a" and again.planned == 0
    again.keep()  # nothing planned: the file stays as it is
    assert planned == ["a"]

    changed = exports.CompiledSql(settings, '{"metrics": [2]}', "DuckDB")
    assert changed.of(None, "a") == "select 2 as sql_of_a" and changed.planned == 1
    other_engine = exports.CompiledSql(settings, '{"metrics": [1]}', "Postgres")
    assert other_engine.of(None, "a") == "select 3 as sql_of_a"

    first.path.write_text("{not json")
    assert exports.CompiledSql(settings, '{"metrics": [1]}', "DuckDB").sql == {}
