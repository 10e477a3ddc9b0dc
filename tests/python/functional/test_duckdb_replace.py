"""The project's table and view materializations on DuckDB
(macros/materializations/duckdb_replace.sql): the old relation dropped and the
new one created in one transaction. Real dbt on a small project in a
temporary folder using the project's own materializations: a rebuild
replaces the rows and keeps the comments; a rebuild that fails, at run time,
on its contract, (a view) on a missing column or (a Python model) in its
code, leaves the previous relation and its rows; a view becomes a table and
a table a view."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from dbt_probe import dbt_probe, probe_settings

from crm_warehouse.build import run_dbt
from crm_warehouse.settings import project_root

pytestmark = [pytest.mark.slow]

_MATERIALIZATION = "macros/materializations/duckdb_replace.sql"

_YAML = """
version: 2
models:
  - name: kept
    description: one row per note
    config: {persist_docs: {relation: true, columns: true}}
    columns:
      - name: note
        description: what the row says
  - name: contracted
    config: {contract: {enforced: true}}
    columns:
      - name: id
        data_type: integer
        constraints: [{type: not_null}]
"""


def _write(root: Path, models: dict[str, str]) -> None:
    for name, sql in models.items():
        (root / "models" / f"{name}.sql").write_text(sql)


def _state(settings_path: Path) -> dict[str, object]:
    """Each relation of schema main: its type and rows, and kept's comments."""
    with duckdb.connect(str(settings_path), read_only=True) as con:
        relations = con.sql(
            "select table_name, table_type from information_schema.tables"
            " where table_schema = 'main' order by 1"
        ).fetchall()
        state: dict[str, object] = {
            name: (kind, con.sql(f'select * from main."{name}" order by all').fetchall())
            for name, kind in relations
        }
        state["comments"] = con.execute(
            "select (select comment from duckdb_tables() where table_name = 'kept'),"
            " (select comment from duckdb_columns()"
            "  where table_name = 'kept' and column_name = 'note')"
        ).fetchone()
    return state


def test_a_rebuild_replaces_the_relation_and_a_failed_one_keeps_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CRM_DBT_TARGET", raising=False)
    files = {
        _MATERIALIZATION: (project_root() / _MATERIALIZATION).read_text(),
        "models/_models.yml": _YAML,
    }
    root = dbt_probe(
        tmp_path,
        "table_probe",
        files,
        project_extra="macro-paths: [macros]\nmodels:\n  +materialized: table\n",
    )
    settings = probe_settings(root, tmp_path)
    _write(
        root,
        {
            "kept": "select 1 as id, 'first' as note",
            "contracted": "select 1 as id",
            "switched": "{{ config(materialized='view') }} select 1 as id",
            "base": "select 1 as id",
            "viewed": "{{ config(materialized='view') }} select id from {{ ref('base') }}",
            "unviewed": "select 1 as id",
        },
    )
    (root / "models" / "pythonic.py").write_text(
        "def model(dbt, session):\n    return dbt.ref('base').df()\n"
    )
    assert run_dbt(settings, ["run"]).success
    first = _state(settings.warehouse_path)
    assert first == {
        "base": ("BASE TABLE", [(1,)]),
        "contracted": ("BASE TABLE", [(1,)]),
        "kept": ("BASE TABLE", [(1, "first")]),
        "pythonic": ("BASE TABLE", [(1,)]),
        "switched": ("VIEW", [(1,)]),
        "unviewed": ("BASE TABLE", [(1,)]),
        "viewed": ("VIEW", [(1,)]),
        "comments": ("one row per note", "what the row says"),
    }

    # kept fails at run time, contracted breaks its not-null constraint,
    # viewed names a column base lacks, pythonic raises; switched becomes a
    # table and unviewed a view
    _write(
        root,
        {
            "kept": "select cast('not a number' as integer) as id, 'second' as note",
            "contracted": "select cast(null as integer) as id",
            "switched": "select 2 as id",
            "viewed": "{{ config(materialized='view') }} select missing from {{ ref('base') }}",
            "unviewed": "{{ config(materialized='view') }} select 2 as id",
        },
    )
    (root / "models" / "pythonic.py").write_text(
        "def model(dbt, session):\n"
        "    frame = dbt.ref('base').df()\n"
        "    if len(frame):\n"
        "        raise ValueError('a failing Python model')\n"
        "    return frame\n"
    )
    failed = run_dbt(settings, ["run"])
    assert not failed.success
    assert {n.unique_id.split(".")[-1]: n.status for n in failed.nodes} == {
        "base": "success",
        "contracted": "error",
        "kept": "error",
        "pythonic": "error",
        "switched": "success",
        "unviewed": "success",
        "viewed": "error",
    }
    assert _state(settings.warehouse_path) == {
        **first,
        "switched": ("BASE TABLE", [(2,)]),
        "unviewed": ("VIEW", [(2,)]),
    }

    _write(
        root,
        {
            "kept": "select 2 as id, 'second' as note",
            "contracted": "select 2 as id",
            "viewed": "{{ config(materialized='view') }} select id + 1 as id from {{ ref('base') }}",
        },
    )
    (root / "models" / "pythonic.py").write_text(
        "def model(dbt, session):\n    return dbt.ref('base').df() + 1\n"
    )
    assert run_dbt(settings, ["run"]).success
    assert _state(settings.warehouse_path) == {
        "base": ("BASE TABLE", [(1,)]),
        "contracted": ("BASE TABLE", [(2,)]),
        "kept": ("BASE TABLE", [(2, "second")]),
        "pythonic": ("BASE TABLE", [(2,)]),
        "switched": ("BASE TABLE", [(2,)]),
        "unviewed": ("VIEW", [(2,)]),
        "viewed": ("VIEW", [(2,)]),
        "comments": ("one row per note", "what the row says"),
    }
