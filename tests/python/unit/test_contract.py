"""The raw contract parses, is self-consistent, and its Markdown reference is in sync."""

from __future__ import annotations

import duckdb
import pytest

from crm_warehouse.ingest.contract import (
    CONTRACT_RELPATH,
    LOADER_COLUMNS,
    contract_markdown,
    load_contract,
    parse_contract,
)
from crm_warehouse.settings import project_root

# Entities KPI_CATALOGUE.md needs; a table dropped from the contract breaks marts.
EXPECTED_TABLES = {
    "teams", "reps", "targets", "accounts", "contacts", "partners", "campaigns",
    "campaign_members", "leads", "web_sessions", "email_list_events", "products",
    "opportunities", "opportunity_stage_history", "quotes", "orders", "order_lines",
    "contracts", "invoices", "payments", "activities", "support_cases",
}  # fmt: skip


def test_contract_has_every_entity_the_catalogue_needs() -> None:
    assert set(load_contract().names) == EXPECTED_TABLES


def test_every_table_has_a_required_primary_key_and_described_columns() -> None:
    for table in load_contract().tables:
        pk = table.column(table.primary_key)
        assert pk.required, f"{table.name}.{pk.name} must be required"
        if table.version_column:
            assert table.column(table.version_column).required
        if table.soft_delete:
            assert table.column(table.soft_delete).data_type == "boolean"
        for column in table.columns:
            assert column.description, f"{table.name}.{column.name} has no description"
            assert not column.name.startswith("_"), "underscore names are the loader's"


def test_raw_ddl_creates_every_table_in_duckdb() -> None:
    contract = load_contract()
    con = duckdb.connect()
    con.execute("create schema raw")
    for table in contract.tables:
        con.execute(table.create_table_sql())
    for table in contract.tables:
        cols = [r[0] for r in con.execute(f"describe raw.{table.name}").fetchall()]
        assert cols == table.column_names + list(LOADER_COLUMNS)


def test_parse_rejects_a_primary_key_that_is_not_a_column() -> None:
    text = """
sources:
  - name: crm
    tables:
      - name: t
        config: {meta: {primary_key: missing}}
        columns:
          - {name: a, data_type: varchar}
"""
    with pytest.raises(ValueError, match="primary_key missing is not a column"):
        parse_contract(text)


def test_markdown_reference_is_in_sync_with_the_contract() -> None:
    doc = project_root() / "docs" / "raw_contract.md"
    expected = contract_markdown(load_contract())
    assert doc.read_text(encoding="utf-8") == expected, (
        "docs/raw_contract.md is stale: run "
        "`crm-warehouse contract --markdown > docs/raw_contract.md` after editing "
        f"{CONTRACT_RELPATH}"
    )
