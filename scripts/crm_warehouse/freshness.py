"""Source freshness in one query: the same verdicts as `dbt source freshness`
(pass, warn, error; empty for a table without a row) from the thresholds of a
dbt manifest, with one `union all` of max(loaded_at_field) per source instead
of dbt's start-up, parse and one query per source.

The refresh uses it when the project has not changed since the manifest kept
by the last successful build (crm_warehouse.changes), so the thresholds are
the project's; otherwise it runs `dbt source freshness`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb

from crm_warehouse.settings import sql_identifier as _q

_PERIODS = {"minute": 60, "hour": 3600, "day": 86400}


@dataclass
class SourceFreshness:
    """One source's verdict: pass, warn, error or empty (no row loaded)."""

    unique_id: str
    status: str
    max_loaded_at: datetime | None


def _after(rule: dict[str, Any] | None) -> timedelta | None:
    if not rule or not rule.get("count") or rule.get("period") not in _PERIODS:
        return None
    return timedelta(seconds=int(rule["count"]) * _PERIODS[rule["period"]])


def _checked_sources(manifest: Path) -> list[dict[str, Any]]:
    """The manifest's sources with a loaded_at_field and a freshness threshold."""
    sources = json.loads(manifest.read_text()).get("sources", {})
    checked = []
    for uid, source in sorted(sources.items()):
        rules = source.get("freshness") or {}
        warn, error = _after(rules.get("warn_after")), _after(rules.get("error_after"))
        field = source.get("loaded_at_field")
        if field and (warn or error) and not source.get("loaded_at_query"):
            checked.append(
                {
                    "uid": uid,
                    "relation": f"{_q(source['schema'])}.{_q(source['identifier'])}",
                    "field": field,
                    "filter": rules.get("filter"),
                    "warn": warn,
                    "error": error,
                }
            )
    return checked


def check(warehouse: Path, manifest: Path) -> list[SourceFreshness] | None:
    """Every checked source's verdict, from one query on the warehouse; None
    when a source cannot be checked this way (a loaded_at_query, a relation
    missing): then ask dbt."""
    sources = _checked_sources(manifest)
    if not sources:
        return []
    parts = [
        f"select {i} as i, max({s['field']}) as m from {s['relation']}"
        + (f" where {s['filter']}" if s["filter"] else "")
        for i, s in enumerate(sources)
    ]
    try:
        with duckdb.connect(str(warehouse), read_only=True) as con:
            rows = dict(con.execute(" union all ".join(parts)).fetchall())
    except duckdb.Error:
        return None
    now = datetime.now(UTC).replace(tzinfo=None)
    verdicts = []
    for i, s in enumerate(sources):
        latest = rows.get(i)
        if latest is None:
            status = "empty"
        else:
            if not isinstance(latest, datetime):
                return None
            latest = latest.astimezone(UTC).replace(tzinfo=None) if latest.tzinfo else latest
            age = now - latest
            status = "pass"
            if s["error"] is not None and age > s["error"]:
                status = "error"
            elif s["warn"] is not None and age > s["warn"]:
                status = "warn"
        verdicts.append(SourceFreshness(s["uid"], status, latest))
    return verdicts
