"""The data-quality mart counts what the demo generator injected.

The generator states in `_generation_report.json` exactly how many exact
duplicates, superseded versions, soft deletes, malformed rows, invalid emails
and phones, unmapped values, duplicate form submissions, missing references
and currencies it wrote (docs/demo_data.md defines each). The mart computes the
same counts from the loaded warehouse; here they must agree, table by table
and column by column.

The warehouse is the session's shared demo warehouse (conftest.demo_warehouse:
generate, load, dbt build once per test run), so this test adds no build of
its own.
"""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path
from typing import Any

import duckdb
import pytest

from crm_warehouse.ingest.contract import load_contract
from crm_warehouse.settings import project_root

MACRO_FILE = Path("macros/data_quality/contract_metadata.sql")


def dq_counts(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    """The mart's counts, shaped like the generator report's tables section."""
    cur = con.execute("select * from data_quality.dq_table_summary")
    names = [d[0] for d in cur.description]
    summary = {row[0]: dict(zip(names, row, strict=True)) for row in cur.fetchall()}
    issues: dict[tuple[str, str, str], int] = defaultdict(int)
    for table, issue, column, n in con.execute(
        """select table_name, issue_type, column_name, count(*)
        from data_quality.dq_record_issues group by table_name, issue_type, column_name"""
    ).fetchall():
        issues[(table, issue, column)] = int(n)
    unmapped: dict[tuple[str, str], dict[str, int]] = defaultdict(dict)
    for table, column, value, n in con.execute(
        "select table_name, column_name, raw_value, records from data_quality.dq_unmapped_values"
    ).fetchall():
        unmapped[(table, column)][value] = int(n)
    currencies: dict[str, dict[str, int]] = defaultdict(dict)
    for table, code, n in con.execute(
        "select table_name, currency_code, records from data_quality.dq_currencies"
    ).fetchall():
        currencies[table][code] = int(n)
    return {
        "summary": summary,
        "issues": issues,
        "unmapped": unmapped,
        "currencies": currencies,
    }


def mismatches(report: dict[str, Any], counts: dict[str, Any]) -> list[str]:
    """Every count where the mart and the generator report disagree, as text."""
    found: list[str] = []

    def check(what: str, mart: Any, expected: Any) -> None:
        if mart != expected:
            found.append(f"{what}: mart {mart!r}, generator report {expected!r}")

    for table, rep in sorted(report["tables"].items()):
        row = counts["summary"].get(table, {})
        malformed = rep["malformed_rows"]
        expected = {
            "rows_landed": rep["rows_written"],
            "quarantined_missing_key": malformed.get("missing_key", 0),
            "quarantined_unparseable_date": malformed.get("unparseable_date", 0),
            "quarantined_negative_amount": malformed.get("negative_amount", 0),
            "quarantined_other": 0,
            "rows_loaded": rep["loadable_rows"],
            "exact_duplicates": rep["exact_duplicates"],
            "superseded_versions": rep["superseded_versions"],
            "records": rep["records"],
            "soft_deleted_records": rep["soft_deleted_records"],
            "records_kept": rep["current_records"],
            "duplicate_submissions": rep.get("duplicate_submissions", 0),
        }
        for column, value in expected.items():
            check(f"{table}.{column}", row.get(column), value)
        for key, issue in (
            ("invalid_emails", "invalid_email"),
            ("invalid_phones", "invalid_phone"),
            ("missing_references", "missing_reference"),
        ):
            for column, value in rep.get(key, {}).items():
                check(f"{table}.{column} {issue}", counts["issues"][(table, issue, column)], value)
        for column, values in rep.get("unmapped_values", {}).items():
            check(
                f"{table}.{column} unmapped values",
                counts["unmapped"].get((table, column), {}),
                values,
            )
        if "currencies" in rep:
            check(f"{table} currencies", counts["currencies"].get(table, {}), rep["currencies"])
    return found


def test_contract_table_names_macro_lists_the_contract() -> None:
    """crm_contract_table_names() must name exactly the contract's tables (dbt
    needs them at parse time; the rest of the metadata is read from the contract)."""
    text = (project_root() / MACRO_FILE).read_text(encoding="utf-8")
    body = text.split("macro crm_contract_table_names()", 1)[1].split("endmacro", 1)[0]
    listed = re.findall(r"'([a-z_]+)'", body)
    assert sorted(listed) == sorted(load_contract().names)


def test_mismatches_names_each_difference() -> None:
    report = {
        "tables": {
            "leads": {
                "rows_written": 10,
                "malformed_rows": {"missing_key": 1},
                "loadable_rows": 9,
                "exact_duplicates": 1,
                "superseded_versions": 2,
                "records": 6,
                "soft_deleted_records": 1,
                "current_records": 5,
                "duplicate_submissions": 1,
                "invalid_emails": {"email": 2},
                "unmapped_values": {"lead_source": {"tiktok": 1}},
            }
        }
    }
    counts = {
        "summary": {
            "leads": {
                "rows_landed": 10,
                "quarantined_missing_key": 1,
                "quarantined_unparseable_date": 0,
                "quarantined_negative_amount": 0,
                "quarantined_other": 0,
                "rows_loaded": 9,
                "exact_duplicates": 1,
                "superseded_versions": 2,
                "records": 6,
                "soft_deleted_records": 1,
                "records_kept": 5,
                "duplicate_submissions": 1,
            }
        },
        "issues": defaultdict(int, {("leads", "invalid_email", "email"): 3}),
        "unmapped": {("leads", "lead_source"): {"tiktok": 1}},
        "currencies": {},
    }
    assert mismatches(report, counts) == ["leads.email invalid_email: mart 3, generator report 2"]


@pytest.mark.slow
@pytest.mark.xdist_group("warehouse")
def test_data_quality_mart_matches_generation_report(demo_warehouse: Any) -> None:
    con = duckdb.connect(str(demo_warehouse.settings.warehouse_path), read_only=True)
    try:
        counts = dq_counts(con)
    finally:
        con.close()
    assert counts["summary"], "the data-quality mart is empty"
    problems = mismatches(demo_warehouse.generation, counts)
    assert not problems, "data-quality mart differs from the generator report:\n" + "\n".join(
        problems
    )
