"""Saved queries written into the warehouse as tables: the offline counterpart
of the exports dbt Cloud runs for its paid tiers.

After a green `dbt build` the refresh calls `materialise_saved_queries`: each
export of each saved query (models/semantic/_semantic__saved_queries.yml)
becomes `<schema>.<alias or export name>` - `create or replace table ... as`
the SQL MetricFlow compiles for the saved query, its periods as dates and cut
at the as-of date, a metric over a raw table the export lacks null (unknown is
not zero: the semantic models name their tables in `meta: crm_entities`) -
with the saved query's description as the table comment and each metric's as
its column's. Publish copies the `metrics` schema into the
BI file beside the marts, so a BI tool that does not speak MetricFlow reads the
same numbers as `mf query`. A saved query that fails leaves no table behind
(never last run's numbers under this run's name) and is named in the step.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass, field
from importlib.metadata import version
from typing import Any

from crm_warehouse.settings import Settings
from crm_warehouse.settings import sql_identifier as _q
from crm_warehouse.settings import sql_literal as _lit
from crm_warehouse.shared_parse import cache_file, replaced_atomically

#: Schema of the exported tables when an export names none; published.
SCHEMA = "metrics"


@dataclass
class ExportResult:
    """What one materialisation wrote."""

    tables: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0
    #: saved queries MetricFlow planned (the others' SQL was kept: CompiledSql)
    planned: int = 0

    def to_dict(self) -> dict[str, Any]:
        details: dict[str, Any] = {
            "tables": self.tables,
            "seconds": round(self.seconds, 2),
            "planned": self.planned,
        }
        if self.failed:
            details["failed"] = self.failed
        return details


def _targets(saved_query: Any) -> list[tuple[str, str]]:
    """(schema, table) of each table export of a saved query."""
    targets = []
    for export in saved_query.exports:
        config = export.config
        kind = str(getattr(config.export_as, "value", config.export_as))
        if kind != "table":
            raise ValueError(
                f"saved query {saved_query.name}: export {export.name} is a {kind}; "
                "only export_as: table is materialised offline"
            )
        targets.append((config.schema_name or SCHEMA, config.alias or export.name))
    return targets


def _compiled_sql(mf: Any, name: str) -> str:
    from metricflow.engine.metricflow_engine import MetricFlowQueryRequest

    request = MetricFlowQueryRequest.create(saved_query_name=name)
    statement = mf.engine.explain(request).sql_statement
    if statement.bind_parameter_set.param_dict:
        raise ValueError(f"saved query {name} compiles to SQL with bind parameters")
    return statement.sql


class CompiledSql:
    """MetricFlow's SQL of each saved query, kept across refreshes and warehouses
    (`<project>/target/parse_cache/saved_query_sql.json`) under a key of what it
    is compiled from: the semantic manifest's text (metrics, semantic models,
    relations with their database), MetricFlow's version and the SQL engine.
    Planning the nine saved queries is about half of the metrics step; the
    same manifest always gives the same SQL, so only a changed key plans
    again. The file is replaced whole; a missing or unreadable one is
    planned again."""

    def __init__(self, settings: Settings, manifest_text: str, engine: str) -> None:
        self.path = cache_file(settings.root, "saved_query_sql.json")
        content = "\0".join([manifest_text, version("metricflow"), engine])
        self.key = hashlib.sha256(content.encode()).hexdigest()
        self.sql: dict[str, str] = {}
        self.planned = 0
        try:
            kept = json.loads(self.path.read_text())
            if kept.get("key") == self.key:
                self.sql = dict(kept["sql"])
        except (OSError, ValueError, KeyError, TypeError):
            pass

    def of(self, mf: Any, name: str) -> str:
        if name not in self.sql:
            self.sql[name] = _compiled_sql(mf, name)
            self.planned += 1
        return self.sql[name]

    def keep(self) -> None:
        if not self.planned:
            return
        with replaced_atomically(self.path) as temporary:
            temporary.write_text(json.dumps({"key": self.key, "sql": self.sql}))


#: The last day of the data (the as-of date): periods after it are left out of
#: the tables (an offset or a trailing window reaches them, with nothing in them).
LAST_DAY_SQL = "(select max(date_day) from core.dim_dates where not is_after_as_of_date)"


def unknown_metrics(manifest: dict[str, Any], absent: set[str]) -> set[str]:
    """Metrics of dbt's semantic manifest (JSON) with an input measure over a raw
    table the export lacks (`crm_entities` in its semantic model's meta): their
    value is unknown, not the 0 MetricFlow fills in or the nothing it sums."""
    tables_of_measure: dict[str, set[str]] = {}
    for model in manifest.get("semantic_models", []):
        meta = (model.get("config") or {}).get("meta") or {}
        for measure in model.get("measures", []):
            tables_of_measure[measure["name"]] = set(meta.get("crm_entities", []))
    return {
        metric["name"]
        for metric in manifest.get("metrics", [])
        for measure in (metric.get("type_params") or {}).get("input_measures") or []
        if tables_of_measure.get(measure["name"], set()) & absent
    }


def _absent_tables(client: Any) -> set[str]:
    """Raw tables the export lacks (data_quality.dq_entity_presence)."""
    table = client.query(
        "select entity_name from data_quality.dq_entity_presence where not is_present"
    )
    return {str(table.get_cell_value(row, 0)) for row in range(table.row_count)}


def _shaped(client: Any, sql: str, unknown: set[str]) -> tuple[str, list[str]]:
    """A select over MetricFlow's SQL for a BI tool: the period columns as dates,
    HUGEINT counts as BIGINT, the `unknown` metrics null, no row without a period
    or after the as-of date; and its column names."""
    described = client.query(f"describe select * from ({sql}) as compiled")
    names, select, periods = [], [], []
    for row in range(described.row_count):
        name = str(described.get_cell_value(row, 0))
        kind = str(described.get_cell_value(row, 1)).upper()
        names.append(name)
        if name in unknown:
            kind = "BIGINT" if kind == "HUGEINT" else kind
            select.append(f"cast(null as {kind}) as {_q(name)}")
        elif name.startswith("metric_time__"):
            periods.append(name)
            select.append(f"cast({_q(name)} as date) as {_q(name)}")
        elif kind == "HUGEINT":
            select.append(f"cast({_q(name)} as bigint) as {_q(name)}")
        else:
            select.append(_q(name))
    where = " and ".join(f"{_q(p)} is not null and {_q(p)} <= {LAST_DAY_SQL}" for p in periods)
    return f"select {', '.join(select)} from ({sql}) as compiled where {where or 'true'}", names


def write_export(
    mf: Any,
    saved_query: Any,
    result: ExportResult,
    docs: dict[str, str],
    unknown: set[str] | None = None,
    compiled: CompiledSql | None = None,
) -> None:
    client = mf.config.sql_client
    targets: list[tuple[str, str]] = []
    try:
        targets = _targets(saved_query)
        name = saved_query.name
        sql = compiled.of(mf, name) if compiled else _compiled_sql(mf, name)
        select, columns = _shaped(client, sql, unknown or set())
        for schema, table in targets:
            name = f"{_q(schema)}.{_q(table)}"
            client.execute(f"create schema if not exists {_q(schema)}")
            client.execute(f"create or replace table {name} as {select}")
            comment = (saved_query.description or saved_query.name).strip()
            client.execute(f"comment on table {name} is {_lit(comment)}")
            for column in columns:
                doc = docs.get(column) or docs.get(column.split("__")[-1])
                if doc:
                    client.execute(f"comment on column {name}.{_q(column)} is {_lit(doc)}")
            result.tables.append(f"{schema}.{table}")
    except Exception as exc:  # reported per saved query, the others go on
        result.failed[saved_query.name] = f"{type(exc).__name__}: {str(exc).strip()[:300]}"
        for schema, table in targets:
            client.execute(f"drop table if exists {_q(schema)}.{_q(table)}")


def _column_docs(manifest: Any) -> dict[str, str]:
    """Descriptions of the metrics and of the period columns, by column name."""
    docs = {m.name: (m.description or m.label or m.name).strip() for m in manifest.metrics}
    for grain in ("day", "week", "month", "quarter", "year"):
        docs[f"metric_time__{grain}"] = f"First day of the {grain} (metric_time at {grain} grain)."
    return docs


def materialise_saved_queries(settings: Settings, report: Any = None) -> ExportResult:
    """Write every saved query's table exports into `settings`' warehouse.

    With a refresh's `report`, the work is its step "metrics": a saved query that
    fails (or MetricFlow failing to start, "*") is listed in the step's details
    and marks the step failed, and the refresh goes on to publish the marts.
    """
    if report is None:
        return _materialise(settings)
    with report.step("metrics") as record:
        try:
            result = _materialise(settings)
        except Exception as exc:  # MetricFlow could not start: the marts go on
            result = ExportResult(failed={"*": f"{type(exc).__name__}: {str(exc).strip()[:300]}"})
        record.details = result.to_dict()
        if result.failed:
            # named in `crm-warehouse runs` as the failed step; the run publishes the marts
            record.status = "failed"
    return result


def _materialise(settings: Settings) -> ExportResult:
    from crm_warehouse.semantic.offline import semantic_manifest_path, session

    started = time.perf_counter()
    result = ExportResult()
    with session(settings) as mf:
        manifest = mf.config.semantic_manifest
        docs = _column_docs(manifest)
        text = semantic_manifest_path(settings).read_text()
        unknown = unknown_metrics(json.loads(text), _absent_tables(mf.config.sql_client))
        compiled = CompiledSql(settings, text, str(mf.config.sql_client.sql_engine_type))
        for saved_query in manifest.saved_queries:
            if saved_query.exports:
                write_export(mf, saved_query, result, docs, unknown, compiled)
        compiled.keep()
        result.planned = compiled.planned
    result.seconds = time.perf_counter() - started
    return result
