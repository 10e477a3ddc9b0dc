"""SQLAlchemy reflection of the published marts file through duckdb-engine,
the way Superset and other SQLAlchemy-based BI tools read it (docs/serving.md:
SQLAlchemy >= 1.4, < 2.1; 2.1 fails on pg_catalog.pg_collation). Skipped when
the environment lacks SQLAlchemy or duckdb-engine (the `bi` extra)."""

from __future__ import annotations

import pytest

sqlalchemy = pytest.importorskip("sqlalchemy")
pytest.importorskip("duckdb_engine")


@pytest.mark.xdist_group("warehouse")
def test_every_published_table_reflects_its_columns(demo_warehouse) -> None:
    import duckdb

    from crm_warehouse.serve.publish import MARTS_FILE

    marts = demo_warehouse.settings.publish_dir / MARTS_FILE
    with duckdb.connect(str(marts), read_only=True) as con:
        expected = {
            (schema, table): [
                c
                for (c,) in con.execute(
                    "select column_name from duckdb_columns() where schema_name = ? "
                    "and table_name = ? order by column_index",
                    [schema, table],
                ).fetchall()
            ]
            for schema, table in con.execute(
                "select schema_name, table_name from duckdb_tables()"
            ).fetchall()
        }
    assert len(expected) > 20
    engine = sqlalchemy.create_engine(f"duckdb:///{marts}?access_mode=read_only")
    try:
        inspector = sqlalchemy.inspect(engine)
        reflected = {
            (schema, table): [c["name"] for c in inspector.get_columns(table, schema=schema)]
            for schema, table in expected
        }
    finally:
        engine.dispose()
    assert reflected == expected
