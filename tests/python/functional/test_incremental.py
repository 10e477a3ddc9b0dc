"""An incremental build after a new batch gives exactly the marts a full
refresh of the same data gives.

A small demo data set is generated; its last export batch (the one the
generator makes about 1 % of the rows) is held back. The rest is loaded and
the incremental models built, the last batch lands and is loaded, and the
whole project is built incrementally. Every table of every mart schema is
snapshotted, then the incremental models and everything downstream of them
are rebuilt with --full-refresh, and each table is compared row for row with
its snapshot (as multisets: EXCEPT ALL both ways)."""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pytest

from crm_dev.bench.runner import INCREMENTAL_BATCH, stage_landing
from crm_warehouse.build import run_dbt
from crm_warehouse.generate import generate
from crm_warehouse.ingest.load import load_landing
from crm_warehouse.settings import Settings

#: Small but with every table filled and a last batch in every event table.
SCALE = 0.02
SEED = 11

#: The schemas whose tables must not depend on how the build ran.
MART_SCHEMAS = (
    "core",
    "sales",
    "partners",
    "marketing",
    "customers",
    "finance",
    "service",
    "activity",
    "data_quality",
)

#: Models and seeds only: the data tests run in their own suite (conftest's
#: refresh) and add nothing to this comparison.
BUILD = ["build", "--resource-type", "seed", "--resource-type", "model"]


def _tables(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str]]:
    schemas = ", ".join(f"'{s}'" for s in MART_SCHEMAS)
    return [
        (schema, name)
        for schema, name in con.execute(
            "select table_schema, table_name from information_schema.tables"
            f" where table_type = 'BASE TABLE' and table_schema in ({schemas})"
            " order by 1, 2"
        ).fetchall()
    ]


def _build(settings: Settings, *extra: str) -> None:
    logs = ["--log-path", str(settings.warehouse_path.parent / "logs")]
    result = run_dbt(settings, [*BUILD, *logs, *extra])
    failed = [p for p in result.problems() if p.status != "warn"]
    assert result.success, (
        f"dbt build {' '.join(extra)} failed: "
        + "; ".join(f"{p.unique_id}: {(p.message or '')[:200]}" for p in failed[:5])
        + (result.error or "")
    )


@pytest.mark.slow
@pytest.mark.xdist_group("incremental")
def test_incremental_build_after_a_new_batch_equals_a_full_refresh(tmp_path: Path) -> None:
    source = tmp_path / "source"
    generate(source, scale=SCALE, seed=SEED)
    settings = Settings.under(tmp_path)
    os.environ.setdefault("CRM_SKIP_FRESHNESS", "1")

    # the warehouse as of the second-to-last export, built in full
    held_back = len(list(source.glob(f"*/*__{INCREMENTAL_BATCH}_*")))
    stage_landing(source, settings.landing_dir, include_last=False)
    load_landing(settings)
    # only the incremental models carry state from one build to the next
    _build(settings, "--select", "+config.materialized:incremental")

    # the last batch lands: load it and build incrementally
    new_files = stage_landing(source, settings.landing_dir, include_last=True)
    assert new_files == held_back > 0, f"no {INCREMENTAL_BATCH} files to land"
    loaded = load_landing(settings)
    assert loaded.rows_loaded > 0
    _build(settings)

    con = duckdb.connect(str(settings.warehouse_path))
    try:
        tables = _tables(con)
        assert len(tables) > 40, f"only {len(tables)} mart tables built"
        incremental = {t[1] for t in tables}
        assert {"fct_web_sessions", "fct_email_list_events", "fct_activities"} <= incremental
        con.execute("create schema snapshot")
        for schema, name in tables:
            con.execute(
                f'create table snapshot."{schema}__{name}" as select * from "{schema}"."{name}"'
            )
    finally:
        con.close()

    # the same data, rebuilt from scratch: the incremental models and everything
    # downstream of them (any other model reads the same inputs either way)
    _build(settings, "--select", "config.materialized:incremental+", "--full-refresh")

    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    try:
        assert _tables(con) == tables
        differences = []
        for schema, name in tables:
            full = f'"{schema}"."{name}"'
            snap = f'snapshot."{schema}__{name}"'
            only_incremental = con.execute(
                f"select count(*) from (select * from {snap} except all select * from {full})"
            ).fetchone()[0]  # type: ignore[index]
            only_full = con.execute(
                f"select count(*) from (select * from {full} except all select * from {snap})"
            ).fetchone()[0]  # type: ignore[index]
            if only_incremental or only_full:
                differences.append(
                    f"{schema}.{name}: {only_incremental} rows only after the incremental build,"
                    f" {only_full} only after the full refresh"
                )
    finally:
        con.close()
    assert not differences, "incremental and full builds differ:\n" + "\n".join(differences)
