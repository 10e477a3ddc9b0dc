"""The GX suites are derived from the raw contract, and their rules say what they should."""

from __future__ import annotations

import re

import duckdb
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crm_warehouse.ingest import validate as validate_module
from crm_warehouse.ingest.contract import CONTRACT_RELPATH, load_contract, parse_contract
from crm_warehouse.ingest.validate import (
    TYPE_REGEX,
    TableValidator,
    build_suite,
    derive_rules,
    frame_columns,
    hash_column,
    logical_type,
    numeric_column,
)
from crm_warehouse.settings import project_root


def _expectations(table_name: str, contract=None) -> set[tuple[str, str]]:
    table = (contract or load_contract()).table(table_name)
    return {(e.expectation_type, e.column) for e in build_suite(table).expectations}


@pytest.mark.parametrize("table", load_contract().tables, ids=lambda t: t.name)
def test_suite_has_one_expectation_per_contract_rule(table) -> None:
    suite = build_suite(table)
    got = {(e.expectation_type, e.column): e for e in suite.expectations}
    expected: set[tuple[str, str]] = set()
    for col in table.columns:
        if col.required:
            expected.add(("expect_column_values_to_not_be_null", col.name))
        if logical_type(col) != "varchar":
            expected.add(("expect_column_values_to_match_regex", col.name))
            assert (
                got[("expect_column_values_to_match_regex", col.name)].regex
                == TYPE_REGEX[logical_type(col)]
            )
        if col.accepted_values:
            expected.add(("expect_column_values_to_be_in_set", col.name))
            exp = got[("expect_column_values_to_be_in_set", col.name)]
            assert list(exp.value_set) == list(col.accepted_values)
        if col.min_value is not None:
            expected.add(("expect_column_values_to_be_between", numeric_column(col.name)))
            exp = got[("expect_column_values_to_be_between", numeric_column(col.name))]
            assert exp.min_value == col.min_value and exp.max_value is None
        if col.pattern:
            expected.add(("expect_column_values_to_match_regex", col.name))
    expected.add(("expect_column_values_to_be_unique", hash_column(table.primary_key)))
    assert set(got) == expected
    # every required column is covered, by construction from the contract
    nulls = {c for t, c in got if t == "expect_column_values_to_not_be_null"}
    assert nulls == set(table.required_columns)
    assert len(suite.expectations) == len(derive_rules(table))


def test_suite_changes_when_the_contract_text_changes() -> None:
    """Derived, not hand-written: edit the contract YAML and the suite follows."""
    text = (project_root() / CONTRACT_RELPATH).read_text(encoding="utf-8")
    before = _expectations("partners")
    edited = text.replace(
        "config: {meta: {accepted_values: [platinum, gold, silver, registered]}}",
        "config: {meta: {required: true, accepted_values: [gold, silver]}}",
    )
    assert edited != text
    contract = parse_contract(edited)
    after = _expectations("partners", contract)
    assert after - before == {("expect_column_values_to_not_be_null", "partner_tier")}
    suite = build_suite(contract.table("partners"))
    (in_set,) = [
        e
        for e in suite.expectations
        if e.expectation_type == "expect_column_values_to_be_in_set" and e.column == "partner_tier"
    ]
    assert list(in_set.value_set) == ["gold", "silver"]


def test_frame_columns_cover_every_rule() -> None:
    for table in load_contract().tables:
        names = {fc.name for fc in frame_columns(table)}
        assert {r.frame_column for r in derive_rules(table)} == names


def test_regexes_stay_on_pyarrows_engine() -> None:
    """\\s, \\d and inline flags would push pandas back to Python's re (slow);
    capturing groups make pandas warn."""
    for regex in TYPE_REGEX.values():
        assert not re.search(r"\\[sdwb]|\(\?[a-z]|\((?!\?:)", regex), regex


_VALID = {
    "integer": ["0", "42", "-7", "+3", " 12 ", "12.0"],
    "decimal": ["0", "12.50", "-0.5", ".5", "5.", "1e3", "1234567.89"],
    "boolean": ["true", "FALSE", "t", "F", "yes", "No", "1", "0", " true "],
    "date": ["2024-02-29", " 2024-01-01 "],
    "timestamp": [
        "2024-01-01",
        "2024-01-01T10:00",
        "2024-01-01T10:00:00",
        "2024-01-01 10:00:00.123456",
        "2024-01-01T10:00:00Z",
        "2024-01-01T10:00:00+02:00",
        "2024-01-01T10:00:00-0530",
        "2024-01-01 10:00:00+00",
    ],
}
_INVALID = {
    "integer": ["1.5", "abc", "1e3", "", "--1", "1,000"],
    "decimal": ["abc", "1,5", "1.2.3", "$5", "e5"],
    "boolean": ["maybe", "y", "on", "tru", "2"],
    "date": ["31/12/2024", "2024/01/01", "2024-1-1", "Dec 5 2024", "yesterday", "20240101"],
    "timestamp": ["31/12/2024 10:00", "n/a", "2024-01-01T10", "2024-01-01T10:00:00 UTC"],
}


@pytest.mark.parametrize("ltype", sorted(_VALID))
def test_type_regex_accepts_iso_text_that_duckdb_casts(ltype: str) -> None:
    duck = {"integer": "integer", "decimal": "decimal(18,2)", "boolean": "boolean"}
    duck |= {"date": "date", "timestamp": "timestamptz"}
    con = duckdb.connect()
    con.execute("set TimeZone = 'UTC'")
    for value in _VALID[ltype]:
        assert re.search(TYPE_REGEX[ltype], value), (ltype, value)
        cast = con.execute(f"select try_cast(trim(?) as {duck[ltype]})", [value]).fetchall()
        assert cast[0][0] is not None, (ltype, value)
    for value in _INVALID[ltype]:
        assert not re.search(TYPE_REGEX[ltype], value), (ltype, value)


@pytest.fixture(scope="module")
def utc_duckdb() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("set TimeZone = 'UTC'")
    return con


@settings(max_examples=40, deadline=None)
@given(st.datetimes(), st.sampled_from(["", "Z", "+02:00", "-05:30", "+0100"]), st.booleans())
def test_every_iso_timestamp_matches_and_casts(utc_duckdb, moment, offset, space) -> None:
    text = moment.isoformat(sep=" " if space else "T") + offset
    assert re.search(TYPE_REGEX["timestamp"], text), text
    cast = utc_duckdb.execute("select try_cast(? as timestamptz)", [text]).fetchall()
    assert cast[0][0] is not None, text


def test_table_validator_maps_failures_to_row_positions() -> None:
    table = load_contract().table("opportunities")
    validator = TableValidator(table, name="test_opportunities")
    n = 6
    frame = pd.DataFrame(
        {
            "opportunity_id": ["O1", "O2", None, "O4", "O1", "O6"],
            "stage_name": ["a", "b", "c", None, "e", "f"],
            "opportunity_type": ["new_business", "x", None, None, None, None],
            "amount": ["1", "2", "abc", None, None, None],
            "amount__num": [1.0, -2.0, None, None, None, None],
            "currency_code": ["USD", "US", None, None, None, None],
            "created_at": ["2024-01-01"] * n,
            "expected_close_date": ["2024-01-01", None, None, None, "31/12/2024", None],
            "closed_at": [None] * n,
            "updated_at": ["2024-01-01"] * n,
            "is_deleted": ["true", None, None, "maybe", None, None],
            "opportunity_id__hash": pd.array([1, 2, None, 4, 1, 6], dtype="UInt64"),
        }
    ).astype({"opportunity_id": "str", "stage_name": "str"})
    got = {(f.rule.kind, f.rule.column): f.positions.tolist() for f in validator.validate(frame)}
    assert got == {
        ("required", "opportunity_id"): [2],
        ("unique", "opportunity_id"): [0, 4],
        ("required", "stage_name"): [3],
        ("accepted_values", "opportunity_type"): [1],
        ("type", "amount"): [2],
        ("min_value", "amount"): [1],
        ("pattern", "currency_code"): [1],
        ("type", "expected_close_date"): [4],
        ("type", "is_deleted"): [3],
    }


def test_a_clean_chunk_has_no_failures_and_a_dirty_one_names_only_its_rule() -> None:
    """The first pass (whether every rule holds) decides alone on a clean chunk;
    on a dirty one only the failing rule is validated again for its rows."""
    table = load_contract().table("opportunities")
    validator = TableValidator(table, name="test_opportunities_clean")
    n = 3
    frame = pd.DataFrame(
        {
            "opportunity_id": ["O1", "O2", "O3"],
            "stage_name": ["a", "b", "c"],
            "opportunity_type": ["new_business", "renewal", None],
            "amount": ["1", "2.5", None],
            "amount__num": [1.0, 2.5, None],
            "currency_code": ["USD", "eur", None],
            "created_at": ["2024-01-01"] * n,
            "expected_close_date": ["2024-01-01", None, None],
            "closed_at": [None] * n,
            "updated_at": ["2024-01-01"] * n,
            "is_deleted": ["true", "false", None],
            "opportunity_id__hash": pd.array([1, 2, 3], dtype="UInt64"),
        }
    ).astype({"opportunity_id": "str", "stage_name": "str"})
    assert validator.validate(frame) == []
    frame.loc[2, "currency_code"] = "euro"
    got = {(f.rule.kind, f.rule.column): f.positions.tolist() for f in validator.validate(frame)}
    assert got == {("pattern", "currency_code"): [2]}


def test_a_column_with_nulls_is_handed_to_gx_alone(monkeypatch) -> None:
    """GX drops a column's nulls before most checks by filtering the whole
    frame it was handed, which copies every column of it. So the columns
    without a null go to GX together and each column with nulls alone; the
    failures come back in rule order, as from one suite."""
    table = load_contract().table("opportunities")
    validator = TableValidator(table, name="test_opportunities_split")
    frame = pd.DataFrame(
        {
            "opportunity_id": ["O1", "O2", "O3"],
            "stage_name": ["a", "b", "c"],
            "opportunity_type": ["new_business", "x", None],
            "amount": ["1", "abc", None],
            "amount__num": [1.0, None, None],
            "currency_code": ["USD", "US", "EUR"],
            "created_at": ["2024-01-01", "2024-01-01", "01/02/2024"],
            "expected_close_date": ["2024-01-01", None, None],
            "closed_at": [None, None, None],
            "updated_at": ["2024-01-01"] * 3,
            "is_deleted": ["true", "maybe", "false"],
            "opportunity_id__hash": pd.array([1, 2, 3], dtype="UInt64"),
        }
    ).astype({"opportunity_id": "str", "stage_name": "str"})
    handed: list[tuple[str, ...]] = []
    validate_part = TableValidator._validate_part

    def spy(self, part, suite):
        handed.append(tuple(part.columns))
        return validate_part(self, part, suite)

    monkeypatch.setattr(TableValidator, "_validate_part", spy)
    monkeypatch.setattr(validate_module, "ALONE_MIN_ROWS", 3)
    failures = validator.validate(frame)

    with_nulls = {"opportunity_type", "amount", "amount__num", "expected_close_date", "closed_at"}
    assert sorted(handed) == sorted(
        [
            tuple(c for c in frame.columns if c not in with_nulls),
            *((c,) for c in frame.columns if c in with_nulls),
        ]
    )
    rule_order = [(r.kind, r.column) for r in validator.rules]
    got = [(f.rule.kind, f.rule.column) for f in failures]
    assert got == [
        ("accepted_values", "opportunity_type"),
        ("type", "amount"),
        ("pattern", "currency_code"),
        ("type", "created_at"),
        ("type", "is_deleted"),
    ]
    assert got == sorted(got, key=rule_order.index)
    assert [f.positions.tolist() for f in failures] == [[1], [1], [1], [2], [1]]

    # a chunk without a null is handed over whole, as one suite
    handed.clear()
    clean = frame.assign(
        opportunity_type="renewal",
        amount="2",
        amount__num=2.0,
        currency_code="EUR",
        created_at="2024-01-01",
        expected_close_date="2024-02-01",
        closed_at="2024-02-02",
        is_deleted="false",
    )
    assert validator.validate(clean) == []
    assert handed == [tuple(frame.columns)]

    # nor is a frame of fewer rows than ALONE_MIN_ROWS, nulls or not
    handed.clear()
    monkeypatch.setattr(validate_module, "ALONE_MIN_ROWS", 4)
    assert [(f.rule.kind, f.rule.column) for f in validator.validate(frame)] == got
    assert handed == [tuple(frame.columns)]


def test_two_threads_asking_for_the_same_part_share_one_suite(monkeypatch) -> None:
    """A part's suite is added to the GX context once: a second thread asking
    for it while the first is adding it waits and gets the same suite (GX
    refuses a second suite of the same name)."""
    import threading
    import time

    validator = TableValidator(load_contract().table("opportunities"), name="test_parts_lock")
    suites = validator.context.suites
    add = suites.add

    def slow_add(suite):
        time.sleep(0.2)  # the other thread asks meanwhile
        return add(suite)

    monkeypatch.setattr(suites, "add", slow_add)
    got: list[object] = []
    errors: list[BaseException] = []

    def ask() -> None:
        try:
            got.append(validator._part(("amount",)))
        except BaseException as exc:  # reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=ask) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(got) == 2 and got[0] is got[1]
    assert [e.column for e in got[0].expectations] == ["amount"]
