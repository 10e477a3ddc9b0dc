"""Great Expectations suites derived from the raw contract.

Every rule here is computed from a contract `Table` (models/staging/crm/
_crm__sources.yml through crm_warehouse.ingest.contract); nothing is listed a second
time. One suite per table:

=================  ==========================================  ====================
contract says      expectation                                 on frame column
=================  ==========================================  ====================
required           ExpectColumnValuesToNotBeNull               <column> (blank = null)
non-varchar type   ExpectColumnValuesToMatchRegex (type regex)  <column> (text)
accepted_values    ExpectColumnValuesToBeInSet                 <column> (text)
min_value          ExpectColumnValuesToBeBetween(min_value)    <column>__num (double)
pattern            ExpectColumnValuesToMatchRegex (pattern)    <column> (text)
primary_key        ExpectColumnValuesToBeUnique                <primary key>__hash
=================  ==========================================  ====================

The validated frame is a pandas DataFrame of one chunk of a landed file: every
contract column that has a rule, as text (a blank value already turned into
null by the loader), plus companions computed by DuckDB: a double
`<column>__num` for each column with a `min_value` and a 64-bit hash
`<primary key>__hash` of the key (uniqueness on a number is ~20x faster than on
text; the loader re-checks flagged rows on the text, so a hash collision never
quarantines a row). `TableValidator` builds the context and suite once per
table and maps each failed expectation back to row positions of the chunk
(GX's unexpected_index_list). A chunk is validated in two passes: the suite
with result format BOOLEAN_ONLY (GX plans about half the metrics: no
unexpected values or indexes), then each expectation that failed, alone, with
COMPLETE. Most chunks pass every rule and take the first pass only: on the
scale-1 demo load GX's CPU went from 7.1-7.5 to 4.2-4.6 s, at scale 10 from
34.8-35.1 to 19.7-21.0 s (docs/performance.md, "Small loads").

GX drops a column's nulls before most of its checks by filtering the frame it
was handed, which copies every column of that frame, once per such check. So
a chunk of 50,000 rows or more hands GX its columns without a null together,
and each column holding a null alone (a suite of its expectations, kept per
set of columns): the filter then copies one column. At scale 10 the
validation took about a fifth less time (docs/performance.md, "Great
Expectations without copying the frame").

The regular expressions avoid `\\s`, `\\d` and inline flags so that pandas runs
them through pyarrow's RE2 engine (vectorised) instead of Python's `re`.
"""

from __future__ import annotations

import copy
import sys
import threading
import warnings
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Any

import numpy as np

from crm_warehouse.deferred import deferred
from crm_warehouse.ingest.contract import OPEN_END_DATES, Column, Table
from crm_warehouse.settings import disable_telemetry

if TYPE_CHECKING:
    import pandas as pd
    from great_expectations.core.batch_definition import BatchDefinition
    from great_expectations.core.expectation_suite import ExpectationSuite
    from great_expectations.data_context import AbstractDataContext
    from great_expectations.expectations.expectation import Expectation

#: Modules GX imports for an expectation this project does not use (the KL
#: divergence), imported only if something reads them (crm_warehouse.deferred).
GX_DEFERRED_IMPORTS = ("scipy.stats", "altair")

#: Suffix of the numeric companion column that a min_value check runs on.
NUMERIC_SUFFIX = "__num"
#: Suffix of the hash companion of the primary key that the uniqueness check runs on.
HASH_SUFFIX = "__hash"

_DATE = "[0-9]{4}-[0-9]{2}-[0-9]{2}"
_TIME = "(?:[T ][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\\.[0-9]{1,9})?)?)"
_OFFSET = "(?:Z|[+-][0-9]{2}(?::?[0-9]{2})?)"


def _ci(word: str) -> str:
    """A case-insensitive spelling of `word` with character classes (RE2-safe, no flags)."""
    return "".join(f"[{ch.upper()}{ch.lower()}]" if ch.isalpha() else ch for ch in word)


_BOOLEAN_WORDS = ("true", "false", "t", "f", "yes", "no", "1", "0")

#: Text form a value of each logical type must have (surrounding spaces allowed).
#: Groups are non-capturing: pandas warns about capturing groups in str.contains.
TYPE_REGEX: dict[str, str] = {
    "integer": r"^ *[+-]?[0-9]+(?:\.0*)? *$",
    "bigint": r"^ *[+-]?[0-9]+(?:\.0*)? *$",
    "decimal": r"^ *[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)? *$",
    "boolean": "^ *(?:" + "|".join(_ci(w) for w in _BOOLEAN_WORDS) + ") *$",
    "date": f"^ *{_DATE} *$",
    "timestamp": f"^ *{_DATE}{_TIME}? *{_OFFSET}? *$",
}

#: How a value of each logical type should look, for messages.
TYPE_HINT: dict[str, str] = {
    "integer": "a whole number",
    "bigint": "a whole number",
    "decimal": "a decimal number such as 1234.50",
    "boolean": "true/false, t/f, yes/no or 1/0",
    "date": "an ISO-8601 date YYYY-MM-DD",
    "timestamp": "an ISO-8601 timestamp YYYY-MM-DD[THH:MM[:SS[.ffffff]]][Z|+HH:MM]",
}

#: Rule kinds, in the order a row's reasons are reported.
RULE_KINDS = (
    "required",
    "type",
    "unparseable",
    "date_window",
    "accepted_values",
    "min_value",
    "pattern",
    "unique",
)


def logical_type(column: Column) -> str:
    """The contract type without precision: decimal(18,2) -> decimal."""
    return "decimal" if column.data_type.startswith("decimal") else column.data_type


def numeric_column(column: str) -> str:
    """Name of the double companion a min_value check runs on."""
    return column + NUMERIC_SUFFIX


def hash_column(column: str) -> str:
    """Name of the 64-bit hash companion the uniqueness check runs on."""
    return column + HASH_SUFFIX


@dataclass(frozen=True)
class Rule:
    """One check of the contract, carried out by one GX expectation."""

    kind: str
    column: str
    frame_column: str
    expectation_type: str
    kwargs: dict[str, Any] = field(default_factory=dict, compare=False)

    def expectation(self) -> Expectation:
        gx = _gx()
        cls = getattr(gx.expectations, self.expectation_type)
        return cls(
            column=self.frame_column,
            meta={"rule": self.kind, "contract_column": self.column},
            **self.kwargs,
        )


def derive_rules(table: Table) -> tuple[Rule, ...]:
    """Every rule of one contract table, in contract column order."""
    rules: list[Rule] = []
    for col in table.columns:
        ltype = logical_type(col)
        if col.required:
            rules.append(Rule("required", col.name, col.name, "ExpectColumnValuesToNotBeNull"))
        if ltype != "varchar":
            rules.append(
                Rule(
                    "type",
                    col.name,
                    col.name,
                    "ExpectColumnValuesToMatchRegex",
                    {"regex": TYPE_REGEX[ltype]},
                )
            )
        if col.accepted_values:
            rules.append(
                Rule(
                    "accepted_values",
                    col.name,
                    col.name,
                    "ExpectColumnValuesToBeInSet",
                    {"value_set": list(col.accepted_values)},
                )
            )
        if col.min_value is not None:
            rules.append(
                Rule(
                    "min_value",
                    col.name,
                    numeric_column(col.name),
                    "ExpectColumnValuesToBeBetween",
                    {"min_value": col.min_value},
                )
            )
        if col.pattern:
            rules.append(
                Rule(
                    "pattern",
                    col.name,
                    col.name,
                    "ExpectColumnValuesToMatchRegex",
                    {"regex": col.pattern},
                )
            )
        if col.name == table.primary_key:
            rules.append(
                Rule("unique", col.name, hash_column(col.name), "ExpectColumnValuesToBeUnique")
            )
    return tuple(rules)


@dataclass(frozen=True)
class FrameColumn:
    """A column of the validated frame: the text of a contract column, or a
    companion computed from it ('num': double, 'hash': 64-bit hash)."""

    name: str
    column: str
    kind: str


def frame_columns(table: Table) -> list[FrameColumn]:
    """The columns the validated frame must hold, in contract order."""
    out: dict[str, FrameColumn] = {}
    for rule in derive_rules(table):
        if rule.frame_column == rule.column:
            kind = "text"
        elif rule.kind == "min_value":
            kind = "num"
        else:
            kind = "hash"
        out.setdefault(rule.frame_column, FrameColumn(rule.frame_column, rule.column, kind))
    return list(out.values())


def build_suite(table: Table, name: str | None = None) -> ExpectationSuite:
    """The GX ExpectationSuite of one contract table (see the module docstring)."""
    gx = _gx()
    _default_context()  # GX needs an active context to build a suite
    suite = gx.ExpectationSuite(name=name or f"raw_{table.name}")
    for rule in derive_rules(table):
        suite.add_expectation(rule.expectation())
    return suite


def _gx() -> Any:
    """Import great_expectations with its analytics off (set before the import)."""
    disable_telemetry()
    main = sys.modules.get("__main__")
    if (
        main is not None
        and getattr(main, "__spec__", None) is None
        and not hasattr(main, "__file__")
    ):
        # When pyspark is installed GX imports pyspark.sql.connect, which calls
        # sys.exit(0) if __main__ looks like a doctest run, as it does in a
        # pytest-xdist worker. Give __main__ a file name so the import goes on.
        main.__file__ = "<crm_warehouse>"
    with warnings.catch_warnings():
        # ... and pyspark warns that it does not support pandas 3: nothing of
        # pyspark runs here (the portability check's Spark does not use pandas).
        warnings.filterwarnings(
            "ignore", message="PySpark does not yet fully support pandas", category=FutureWarning
        )
        if "great_expectations" in sys.modules:
            import great_expectations as gx
        else:
            with deferred(GX_DEFERRED_IMPORTS):
                import great_expectations as gx

    return gx


def new_context() -> AbstractDataContext:
    """An ephemeral GX context without progress bars or analytics."""
    gx = _gx()
    from great_expectations.data_context.types.base import ProgressBarsConfig
    from great_expectations.execution_engine import pandas_execution_engine

    # GX fingerprints every in-memory DataFrame below this size (a full hash of
    # every value, ~30% of a validation); the fingerprint is only a batch marker
    # we never use, so it is switched off for this process.
    pandas_execution_engine.HASH_THRESHOLD = 0
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    return context


@cache
def _default_context() -> AbstractDataContext:
    return new_context()


@dataclass(frozen=True)
class RuleFailure:
    """The rows (positions in the validated chunk) that failed one rule."""

    rule: Rule
    positions: np.ndarray


_RESULT_FORMAT = {
    "result_format": "COMPLETE",
    "partial_unexpected_count": 0,
    "include_unexpected_rows": False,
    "return_unexpected_index_query": False,
}
#: Frames of fewer rows go to GX whole: a call of GX costs a few milliseconds
#: however few its rows, more than copying a small frame (X Education's 9,240
#: rows loaded 0.1-0.2 s slower in one frame per column).
ALONE_MIN_ROWS = 50_000
#: The first pass over a chunk: whether every expectation holds, without the
#: unexpected values and indexes (GX plans fewer metrics per expectation).
_PASS_FORMAT = {"result_format": "BOOLEAN_ONLY"}


#: Held while a validator adds to its GX context (suites, data sources), which
#: every table's validator shares and the loader's lanes use two at a time.
_CONTEXT_LOCK = threading.Lock()


class TableValidator:
    """The suite of one table, its context and batch definition, built once and
    used for every chunk of every file of that table."""

    def __init__(
        self, table: Table, context: AbstractDataContext | None = None, name: str | None = None
    ) -> None:
        self.table = table
        self.context = context or _default_context()
        self.rules = derive_rules(table)
        name = name or f"raw_{table.name}"
        with _CONTEXT_LOCK:
            self.suite = self.context.suites.add(build_suite(table, name))
            source = self.context.data_sources.add_or_update_pandas(name)
            asset = source.add_dataframe_asset(name)
            self._batch_definition: BatchDefinition = asset.add_batch_definition_whole_dataframe(
                name
            )
        # each rule with its expectation in the suite, by the key the meta carries
        by_key = {(r.kind, r.column): r for r in self.rules}
        self._checks: dict[tuple[str, str], tuple[Rule, Expectation]] = {}
        for expectation in self.suite.expectations:
            key = (expectation.meta["rule"], expectation.meta["contract_column"])
            self._checks[key] = (by_key[key], expectation)
        self.frame_columns = frame_columns(table)
        self._name = name
        # the suite of each set of frame columns validated together (see validate)
        self._parts: dict[tuple[str, ...], ExpectationSuite] = {}
        self._order = {(r.kind, r.column): i for i, r in enumerate(self.rules)}

    def _part(self, columns: tuple[str, ...]) -> ExpectationSuite:
        """The expectations of `columns` (frame columns) as a suite of their own."""
        with _CONTEXT_LOCK:  # and a suite's name may be added to the context once
            suite = self._parts.get(columns)
            if suite is None:
                gx = _gx()
                wanted = set(columns)
                suite = self.context.suites.add(
                    gx.ExpectationSuite(
                        name=f"{self._name}:{len(self._parts)}",
                        expectations=[
                            copy.copy(e) for e in self.suite.expectations if e.column in wanted
                        ],
                    )
                )
                self._parts[columns] = suite
            return suite

    def _parts_of(self, frame: pd.DataFrame) -> list[tuple[pd.DataFrame, ExpectationSuite]]:
        """The frame in the parts GX validates, each with its suite: every
        column without a null together, each column with nulls alone. GX drops
        a column's nulls before most of its checks by filtering the frame it
        was given (`df[df[column].notnull()]`), which copies every column of
        that frame; on a frame of one column it copies that column only."""
        if len(frame) < ALONE_MIN_ROWS:
            return [(frame, self.suite)]
        with_nulls = tuple(c for c in frame.columns if frame[c].hasnans)
        if not with_nulls:
            return [(frame, self.suite)]
        rest = tuple(c for c in frame.columns if c not in with_nulls)
        groups = [rest] if rest else []
        groups.extend((c,) for c in with_nulls)
        return [(frame[list(g)], self._part(g)) for g in groups]

    def validate(self, frame: pd.DataFrame) -> list[RuleFailure]:
        """Failed rules of one chunk with the row positions (0-based, the frame
        must have a RangeIndex) that failed them, in rule order."""
        if len(frame) == 0:
            return []
        failures: list[RuleFailure] = []
        for part, suite in self._parts_of(frame):
            failures.extend(self._validate_part(part, suite))
        failures.sort(key=lambda f: self._order[(f.rule.kind, f.rule.column)])
        return failures

    def _validate_part(self, frame: pd.DataFrame, suite: ExpectationSuite) -> list[RuleFailure]:
        batch = self._batch_definition.get_batch(batch_parameters={"dataframe": frame})
        # Most chunks pass every rule: one cheap pass of the suite says so.
        # The expectations that failed it (or raised) are validated again,
        # alone, for the failing rows' positions.
        first = batch.validate(suite, result_format=_PASS_FORMAT)
        if first.success:
            return []
        failures: list[RuleFailure] = []
        for checked in first.results:
            if checked.success:
                continue
            meta = checked.expectation_config.meta or {}
            rule, expectation = self._checks[(meta["rule"], meta["contract_column"])]
            res = batch.validate(expectation, result_format=_RESULT_FORMAT)
            if res.exception_info and res.exception_info.get("raised_exception"):
                msg = res.exception_info.get("exception_message")
                raise RuntimeError(f"GX could not evaluate {rule.kind} on {rule.column}: {msg}")
            if res.success:
                continue
            index = res.result.get("unexpected_index_list") or []
            failures.append(RuleFailure(rule, np.asarray(index, dtype=np.int64)))
        return failures


def quote_value(value: object, limit: int = 60) -> str:
    """A value as shown in a message: quoted, shortened when long."""
    text = "" if value is None else str(value)
    if len(text) > limit:
        text = text[: limit - 3] + "..."
    return "'" + text.replace("\n", "\\n") + "'"


def _open_end_hint(column: Column, value: object) -> str:
    """Why an open-end date (9999-12-31) outside the window is not loaded as
    null here: the column is not flagged open_end (see docs/loading.md)."""
    day = str(value or "").strip()[:10]
    if day not in {d.isoformat() for d in OPEN_END_DATES}:
        return ""
    if column.required:
        why = f"column {column.name} is required and does not take it; export the real last day"
    else:
        why = (
            f"column {column.name} does not take it (only end dates flagged open_end load it as"
            " null); export the real date"
        )
    return f'; {day} is the date exports write for "no end": {why}'


def describe(kind: str, column: Column, value: object, window: object = None) -> str:
    """The reason a value fails a rule, as one readable sentence (`window`: the
    loader's DateWindow, for a date_window failure)."""
    ltype = logical_type(column)
    shown = quote_value(value)
    if kind == "required":
        return "value is missing or blank but the column is required"
    if kind == "type":
        return f"value {shown} is not a valid {ltype}; expected {TYPE_HINT[ltype]}"
    if kind == "unparseable":
        return f"value {shown} is an unparseable {ltype} (not a real {ltype} or out of range)"
    if kind == "date_window":
        return (
            f"value {shown} is outside the accepted date window {window}"
            f" (CRM_DATE_WINDOW_START, CRM_DATE_WINDOW_YEARS_AHEAD){_open_end_hint(column, value)}"
        )
    if kind == "accepted_values":
        allowed = ", ".join(column.accepted_values or ())
        return f"value {shown} is not one of the accepted values ({allowed})"
    if kind == "min_value":
        return f"value {shown} is below the minimum {column.min_value}"
    if kind == "pattern":
        return f"value {shown} does not match the pattern {column.pattern}"
    if kind == "unique":
        return f"primary key value {shown} occurs more than once in the file"
    raise ValueError(f"unknown rule kind {kind}")
