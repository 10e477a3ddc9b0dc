"""The salt of the personal-data hashes (crm_warehouse.privacy.ensure_pii_salt):
created once per warehouse by the loader, random, kept for life, one row."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pytest

from crm_warehouse.ingest.load import load_landing
from crm_warehouse.privacy import SALT_TABLE, ensure_pii_salt
from crm_warehouse.settings import Settings


def _warehouse() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("create schema raw")
    return con


def _salts(con: duckdb.DuckDBPyConnection) -> list[str]:
    return [r[0] for r in con.execute(f"select salt from {SALT_TABLE}").fetchall()]


def test_salt_is_created_once_and_kept() -> None:
    con = _warehouse()
    assert ensure_pii_salt(con) is True
    (salt,) = _salts(con)
    assert re.fullmatch(r"[0-9a-f]{64}", salt)
    assert ensure_pii_salt(con) is False  # a later load keeps it: same hashes
    assert _salts(con) == [salt]


def test_each_warehouse_gets_its_own_salt() -> None:
    first, second = _warehouse(), _warehouse()
    ensure_pii_salt(first)
    ensure_pii_salt(second)
    assert _salts(first) != _salts(second)


def test_salt_table_holds_one_long_salt() -> None:
    con = _warehouse()
    ensure_pii_salt(con)
    with pytest.raises(duckdb.ConstraintException):  # a second row
        con.execute(f"insert into {SALT_TABLE} values (2, repeat('a', 64), now())")
    con.execute(f"delete from {SALT_TABLE}")
    with pytest.raises(duckdb.ConstraintException):  # a guessable salt
        con.execute(f"insert into {SALT_TABLE} values (1, 'short', now())")


def test_loader_salts_a_new_warehouse_even_without_files(tmp_path: Path) -> None:
    """The loader creates the salt with the raw schema (the importer and the
    demo load through it too), so a build after any load finds one."""
    settings = Settings.under(tmp_path)
    settings.landing_dir.mkdir(parents=True)
    load_landing(settings)
    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    (salt,) = _salts(con)
    con.close()
    load_landing(settings)
    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    assert _salts(con) == [salt]
    con.close()
