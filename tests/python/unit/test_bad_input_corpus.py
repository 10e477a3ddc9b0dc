"""The bad-input corpus (issue #18): one case per kind of bad landed file
(encodings, line endings, quoting, headers, types, ranges, keys, file names,
symlinks, Parquet and JSON lines damage, growing files, markup and formula
values). Each case lands a tiny file in a fresh landing folder, runs
`crm-warehouse load` in-process and checks three things: the message the
user sees, the exit code (0 clean, 3 files rejected or rows quarantined) and,
from the warehouse's tables, rows landed = rows loaded + rows quarantined for
every file (the ledger's counts against the rows in raw.<table> and
raw._quarantine).

docs/loading.md, section "Bad input the loader handles", lists every case id
with the message and exit code; test_docs_list_every_corpus_kind keeps the
two in step.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from test_load import HEADER, csv_text, good_row
from typer.testing import CliRunner

import crm_warehouse.ingest.lines as lines_mod
import crm_warehouse.ingest.load as load_mod
from crm_warehouse import cli
from crm_warehouse.ingest.lines import MAX_LINE_BYTES
from crm_warehouse.settings import Settings

#: Builds the landed files of a case below the landing folder (files outside
#: landing/, e.g. symlink targets, go to its parent's `outside/`).
Builder = Callable[[Path], None]
#: An extra check of a case after its load: (settings, CLI output).
Check = Callable[[Settings, str], None]

OPP = "opportunities"


@dataclass(frozen=True)
class Kind:
    """One kind of bad input and what the loader promises for it."""

    id: str
    build: Builder
    #: a fragment of the output of `crm-warehouse load` (a message, or the summary line)
    message: str
    exit_code: int
    #: rows landed, loaded and quarantined by this run, from raw._load_ledger
    rows: tuple[int, int, int]
    #: files of an earlier load the case starts from (loaded first, not checked)
    before: Builder | None = None
    #: a change made while the load runs: (monkeypatch, landing dir)
    during: Callable[[pytest.MonkeyPatch, Path], None] | None = None
    check: Check | None = None
    xfail: str | None = None


# --------------------------------------------------------------------------- builders


def _write(landing: Path, rel: str, content: str | bytes) -> Path:
    path = landing / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, str):
        content = content.encode("utf-8")
    path.write_bytes(content)
    return path


def raw(rel: str, content: str | bytes) -> Builder:
    """A file of exactly these bytes (str: UTF-8)."""

    def build(landing: Path) -> None:
        _write(landing, rel, content)

    return build


def rows_with(*changes: tuple[int, str, str], n: int = 3) -> list[list[str]]:
    """`n` good rows, then (row number, column, value) changes."""
    rows = [good_row(i) for i in range(1, n + 1)]
    for row_no, column, value in changes:
        rows[row_no - 1][HEADER.index(column)] = value
    return rows


def good_csv(n: int = 3, *changes: tuple[int, str, str], header: Sequence[str] = HEADER) -> str:
    return csv_text(header, rows_with(*changes, n=n))


def one_csv(rel: str, *changes: tuple[int, str, str], n: int = 3) -> Builder:
    """A CSV of `n` good opportunities with some values changed."""
    return raw(rel, good_csv(n, *changes))


def lines_csv(lines: Sequence[str], eol: str = "\n") -> Builder:
    """A CSV of the header then these raw lines (a line `{i}` is good row i)."""
    good = {str(i): _line(good_row(i)) for i in range(1, 10)}
    body = [_line(HEADER), *(good.get(line, line) for line in lines)]
    return raw(f"{OPP}/o.csv", "".join(line + eol for line in body))


def _line(values: Sequence[str], delim: str = ",") -> str:
    buf = io.StringIO()
    csv.writer(buf, delimiter=delim, lineterminator="").writerow(values)
    return buf.getvalue()


def delimited(delim: str) -> Builder:
    text = "".join(_line(r, delim) + "\n" for r in [HEADER, good_row(1), good_row(2)])
    return raw(f"{OPP}/o.csv", text)


#: a json_line change that leaves the key out
MISSING = object()


def json_line(i: int, **changes: Any) -> str:
    record: dict[str, Any] = dict(zip(HEADER, good_row(i), strict=True))
    record.update(changes)
    record = {k: v for k, v in record.items() if v is not MISSING}
    return json.dumps(record, ensure_ascii=False)


def jsonl(*lines: str, eol: str = "\n") -> Builder:
    return raw(f"{OPP}/o.jsonl", "".join(line + eol for line in lines))


def _parquet_table(n: int = 3, **columns: pa.Array) -> pa.Table:
    data: dict[str, Any] = {
        h: [good_row(i)[k] for i in range(1, n + 1)] for k, h in enumerate(HEADER)
    }
    data.update(columns)
    return pa.table(data)


def parquet(
    table: pa.Table, rel: str = f"{OPP}/o.parquet", damage: Callable[[bytes], bytes] | None = None
) -> Builder:
    def build(landing: Path) -> None:
        path = landing / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(table, path, write_page_checksum=True, compression="none")
        if damage is not None:
            path.write_bytes(damage(path.read_bytes()))

    return build


def _overwrite_in_amounts(data: bytes) -> bytes:
    """Bytes inside the amount column's data page overwritten."""
    at = data.index(b"101.50")
    return data[:at] + b"999.99" + data[at + 6 :]


def symlink(rel: str, target: Callable[[Path], Path], is_dir: bool = False) -> Builder:
    def build(landing: Path) -> None:
        link = landing / rel
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(target(landing), target_is_directory=is_dir)

    return build


def outside(rel: str, content: str) -> Callable[[Path], Path]:
    def make(landing: Path) -> Path:
        return _write(landing.parent / "outside", rel, content)

    return make


def rename(old: str, new: str) -> Builder:
    """Move a landed file (after the first load rejected it)."""

    def build(landing: Path) -> None:
        (landing / old).rename(landing / new)

    return build


def both(*builders: Builder) -> Builder:
    def build(landing: Path) -> None:
        for b in builders:
            b(landing)

    return build


def grow_while_loading(monkeypatch: pytest.MonkeyPatch, landing: Path) -> None:
    """The exporter appends rows after the loader inspected the file."""
    real = load_mod.inspect_file

    def inspect_then_grow(reader: Any, path: Path, *args: Any, **kwargs: Any) -> Any:
        layout = real(reader, path, *args, **kwargs)
        with path.open("a", encoding="utf-8") as fh:
            fh.write(_line(good_row(7)) + "\n")
        return layout

    monkeypatch.setattr(load_mod, "inspect_file", inspect_then_grow)


def rename_while_loading(monkeypatch: pytest.MonkeyPatch, landing: Path) -> None:
    """The exporter appends rows and renames its file to its final name after
    the loader inspected it."""
    real = load_mod.inspect_file

    def inspect_then_rename(reader: Any, path: Path, *args: Any, **kwargs: Any) -> Any:
        layout = real(reader, path, *args, **kwargs)
        with path.open("a", encoding="utf-8") as fh:
            fh.write(_line(good_row(7)) + "\n")
        path.rename(path.with_name("o_final.csv"))
        return layout

    monkeypatch.setattr(load_mod, "inspect_file", inspect_then_rename)


def sample_two_lines(monkeypatch: pytest.MonkeyPatch, landing: Path) -> None:
    """Keys were once read from the first 20,480 lines only (lines._KEY_SAMPLE): were such a
    sample back, 2 lines would drop the key of line 3 (every line's keys are read now)."""
    monkeypatch.setattr(lines_mod, "_KEY_SAMPLE", 2, raising=False)


# --------------------------------------------------------------------------- checks


def rejected_cell(column: str, expected: str) -> Check:
    """The quarantine CSV of o.csv shows the cell of `column` as `expected`."""

    def check(s: Settings, output: str) -> None:
        path = s.quarantine_dir / OPP / "o.csv.rejected.csv"
        with path.open(encoding="utf-8", newline="") as fh:
            (row,) = list(csv.DictReader(fh))
        assert row[column] == expected

    return check


def _loaded(s: Settings, column: str) -> list[Any]:
    """`column` of every loaded row (in file order) of the one table loaded."""
    with _connect(s) as con:
        (table,) = con.execute("select distinct table_name from raw._load_ledger").fetchall()[0]
        got = con.execute(
            f"select {column} from raw.{table} order by _source_file, _source_row"
        ).fetchall()
    return [r[0] for r in got]


def loaded_value(column: str, expected: Any, row: int = 1) -> Check:
    """The `row`-th loaded row (in file order) of the one table loaded has `expected` in `column`."""

    def check(s: Settings, output: str) -> None:
        got = _loaded(s, column)
        assert got[row - 1] == expected, got

    return check


def loaded_values(**expected: list[Any]) -> Check:
    """The loaded rows (in file order) of the one table loaded have, in each
    named column, the values listed."""

    def check(s: Settings, output: str) -> None:
        for column, values in expected.items():
            assert _loaded(s, column) == values, column

    return check


def short_output(s: Settings, output: str) -> None:
    """An over-long value is never printed."""
    assert "xxxxxxxxxx" not in output and len(output) < 5000


def quarantined_files(*names: str) -> Check:
    """Each of these quarantine files exists (none overwrote another)."""

    def check(s: Settings, output: str) -> None:
        for name in names:
            assert (s.quarantine_dir / name).is_file(), name

    return check


def no_control_characters(s: Settings, output: str) -> None:
    """Nothing from the data reaches the terminal as a control character
    (ESC sequences, NUL, a line break inside a message)."""
    assert not re.search("[\x00-\x09\x0b-\x1f\x7f]", output), repr(output)


def next_load_loads(rows: tuple[int, int, int]) -> Check:
    """A second load (the file no longer changing) loads it whole, once."""

    def check(s: Settings, output: str) -> None:
        res = CliRunner().invoke(cli.app, ["load"], env=_env(s))
        assert res.exit_code == 0, res.output
        assert _ledger_totals(s) == rows

    return check


def nothing_of(name: str) -> Check:
    """Nothing named `name` was copied to quarantine, nothing of it printed."""

    def check(s: Settings, output: str) -> None:
        copied = list(s.quarantine_dir.rglob(f"{name}*")) if s.quarantine_dir.exists() else []
        assert copied == []
        assert "root:" not in output

    return check


# --------------------------------------------------------------------------- the corpus

F = f"{OPP}/o.csv"
J = f"{OPP}/o.jsonl"
P = f"{OPP}/o.parquet"
NOT_UTF8 = f"{F}: file rejected: the file is not UTF-8 encoded"
#: the summary line of a load that quarantined nothing
CLEAN = "rows quarantined 0"
WRONG_COUNT = f"{F}: line 3: the line has the wrong number of values"
BAD_QUOTE = f"{F}: line 3: a quoted value is not closed properly"
PARQUET_FOOTER = f"{P}: file rejected: damaged Parquet file: its footer"
NEAR_ROW = "Won,1,USD,renewal,2024-01-01,2024-01-01,2024-01-01,false"
REPS = ["rep_id", "rep_name", "hired_date", "left_date", "updated_at"]
ACCOUNTS = ["account_id", "account_name", "employee_count", "created_at", "updated_at"]


def account(i: int, employee_count: str) -> list[str]:
    return [f"A{i}", f"Account {i}", employee_count, "2024-01-01", "2024-01-02"]


KINDS: list[Kind] = [
    # ---- encodings
    Kind("encoding-latin1", raw(F, good_csv().replace("Deal", "Déal").encode("latin-1")),
         f"{NOT_UTF8} (invalid byte 0xe9 at byte 139, line 2)", 3, (0, 0, 0)),
    Kind("encoding-windows-1252", raw(F, good_csv(3, (2, "opportunity_name", "“Deal”")).encode("cp1252")),
         f"{NOT_UTF8} (invalid byte 0x93 at byte 253, line 3)", 3, (0, 0, 0)),
    Kind("encoding-utf16-bom", raw(F, good_csv().encode("utf-16")),
         f"{NOT_UTF8} (it is UTF-16: it starts with the byte order mark ff fe)", 3, (0, 0, 0)),
    Kind("encoding-utf16-no-bom", raw(F, good_csv().encode("utf-16-le")),
         f"{NOT_UTF8} (its first line has NUL bytes: it looks UTF-16 or UTF-32 encoded)", 3, (0, 0, 0),
         check=no_control_characters),
    Kind("encoding-utf8-bom", raw(F, "\ufeff" + good_csv()), CLEAN, 0, (3, 3, 0),
         check=loaded_value("opportunity_id", "O1")),
    Kind("encoding-invalid-byte", raw(F, good_csv(3, (2, "opportunity_name", "MARK")).encode().replace(b"MARK", b"\xff")),
         f"{NOT_UTF8} (invalid byte 0xff at byte", 3, (0, 0, 0)),
    Kind("encoding-invalid-byte-after-64kib",
         raw(F, good_csv(700, (699, "opportunity_name", "MARK")).encode().replace(b"MARK", b"Jos\xe9")),
         f"{NOT_UTF8} (invalid bytes on line 700)", 3, (0, 0, 0)),
    Kind("encoding-latin1-jsonl", raw(J, (json_line(1, opportunity_name="Déal") + "\n").encode("latin-1")),
         f"{J}: file rejected: the file is not UTF-8 encoded (invalid byte 0xe9", 3, (0, 0, 0)),
    Kind("encoding-nul-byte-in-value", one_csv(F, (2, "opportunity_name", "Deal\x00two")), CLEAN, 0, (3, 3, 0),
         check=loaded_value("opportunity_name", "Deal\x00two", row=2)),
    # ---- line endings
    Kind("eol-crlf", raw(F, good_csv().replace("\n", "\r\n")), CLEAN, 0, (3, 3, 0),
         check=loaded_value("is_deleted", False, row=3)),
    Kind("eol-cr-only", raw(F, good_csv().replace("\n", "\r")), CLEAN, 0, (3, 3, 0),
         check=loaded_value("is_deleted", False, row=3)),
    Kind("eol-mixed-crlf-lf", raw(F, good_csv().replace("\n", "\r\n", 2)), CLEAN, 0, (3, 3, 0),
         check=loaded_value("is_deleted", False, row=3)),
    Kind("eol-lone-cr-in-quoted-value", lines_csv(["1", f'O2,"first\rsecond",{NEAR_ROW}']), CLEAN, 0, (2, 2, 0),
         check=loaded_value("opportunity_name", "first\rsecond", row=2)),
    Kind("eol-lf-in-quoted-value", lines_csv(["1", f'O2,"first\nsecond",{NEAR_ROW}', "3"]), CLEAN, 0, (3, 3, 0),
         check=loaded_value("opportunity_name", "first\nsecond", row=2)),
    Kind("eol-no-final-newline", raw(F, good_csv().rstrip("\n")), CLEAN, 0, (3, 3, 0)),
    Kind("eol-blank-line-between-rows", lines_csv(["1", "", "3"]), CLEAN, 0, (2, 2, 0)),
    # ---- quoting and delimiters
    Kind("quote-unterminated-mid-file", lines_csv(["1", f'O2,"Deal 2,{NEAR_ROW}', "3"]),
         f"{BAD_QUOTE} (an opening quote on line 3 is never closed: the values up to line 4 were"
         " read as one)", 3, (2, 1, 1)),
    Kind("quote-unterminated-last-line", lines_csv(["1", "2", f'O3,"Deal 3,{NEAR_ROW}']),
         f"{F}: line 4: a quoted value is not closed properly (an opening quote on line 4 is never"
         " closed)", 3, (3, 2, 1)),
    Kind("quote-text-after-closing-quote", lines_csv(["1", f'O2,"Deal" 2,{NEAR_ROW}', "3"]),
         BAD_QUOTE, 3, (3, 2, 1)),
    Kind("quote-backslash-escaped", lines_csv(["1", f'O2,"Deal \\"2\\"",{NEAR_ROW}', "3"]),
         BAD_QUOTE, 3, (3, 2, 1)),
    Kind("quote-inside-unquoted-value", lines_csv(["1", f'O2,Deal "2" x,{NEAR_ROW}', "3"]),
         CLEAN, 0, (3, 3, 0), check=loaded_value("opportunity_name", 'Deal "2" x', row=2)),
    Kind("delimiter-semicolon", delimited(";"), CLEAN, 0, (2, 2, 0),
         check=loaded_value("opportunity_name", 'Deal, "1"')),
    Kind("delimiter-tab", delimited("\t"), CLEAN, 0, (2, 2, 0)),
    Kind("delimiter-pipe", delimited("|"), CLEAN, 0, (2, 2, 0)),
    Kind("delimiter-other-in-one-row", lines_csv(["1", NEAR_ROW.replace(",", ";"), "3"]),
         f"{WRONG_COUNT} (Expected Number of Columns: 10 Found: 1)", 3, (3, 2, 1)),
    Kind("values-too-many", lines_csv(["1", _line(good_row(2)) + ",extra", "3"]),
         f"{WRONG_COUNT} (Expected Number of Columns: 10 Found: 11)", 3, (3, 2, 1)),
    Kind("values-too-few", lines_csv(["1", "O2,short", "3"]),
         f"{WRONG_COUNT} (Expected Number of Columns: 10 Found: 2)", 3, (3, 2, 1)),
    Kind("values-bad-line-then-bad-row", lines_csv(["1", "O2,short", _line(rows_with((3, "amount", "-1"))[2]), "4"]),
         f"{F}: row 3, column amount: value '-1' is below the minimum 0", 3, (4, 2, 2),
         check=loaded_value("_source_row", 4, row=2)),
    Kind("values-bad-line-after-multiline-value", lines_csv(["1", f'O2,"first\nsecond\nthird",{NEAR_ROW}', "O3,short", "4"]),
         f"{WRONG_COUNT.replace('line 3', 'line 6')} (Expected Number of Columns: 10 Found: 2)", 3, (4, 3, 1)),
    Kind("many-bad-lines", lines_csv(["1"] + ["x"] * 250),
         f"{F}: ... and 50 more row problems; every one is in raw._quarantine and", 3, (251, 1, 250)),
    Kind("line-too-long", lines_csv(["1", _line(rows_with((2, "opportunity_name", "x" * (MAX_LINE_BYTES + 10)))[1]), "3"]),
         f"{F}: line 3: the line is longer than the limit of {MAX_LINE_BYTES} bytes", 3, (3, 2, 1),
         check=short_output),
    # ---- headers
    Kind("header-missing-required-column", raw(F, csv_text([h for h in HEADER if h != "updated_at"], [good_row(1)[:8] + good_row(1)[9:]])),
         f"{F}: file rejected: required column 'updated_at' is missing", 3, (0, 0, 0)),
    Kind("header-missing-optional-column", raw(F, csv_text([h for h in HEADER if h != "amount"], [good_row(1)[:3] + good_row(1)[4:]])),
         CLEAN, 0, (1, 1, 0), check=loaded_value("amount", None)),
    Kind("header-extra-column", raw(F, csv_text([*HEADER, "crm_flag"], [[*good_row(1), "x"]])),
         f"{F}: warning: column(s) crm_flag are not in the contract of table opportunities and were ignored", 0, (1, 1, 0)),
    Kind("header-duplicate-column", raw(F, csv_text([*HEADER, "Amount"], [[*good_row(1), "1"]])),
         f"{F}: file rejected: the header names column(s) amount more than once", 3, (0, 0, 0)),
    Kind("header-upper-case", raw(F, csv_text([h.upper() for h in HEADER], [good_row(1)])), CLEAN, 0, (1, 1, 0),
         check=loaded_value("amount", Decimal("101.50"))),
    Kind("header-padded-names", raw(F, csv_text([f" {h} " for h in HEADER], [good_row(1)])), CLEAN, 0, (1, 1, 0),
         check=loaded_value("amount", Decimal("101.50"))),
    Kind("header-reordered", raw(F, csv_text(HEADER[::-1], [good_row(1)[::-1]])), CLEAN, 0, (1, 1, 0),
         check=loaded_value("amount", Decimal("101.50"))),
    Kind("header-unnamed-column", raw(F, csv_text([*HEADER, ""], [[*good_row(1), "x"]])),
         f"{F}: warning: column(s) column11 are not in the contract", 0, (1, 1, 0)),
    Kind("header-quoted-names", raw(F, ",".join(f'"{h}"' for h in HEADER) + "\n" + _line(good_row(1)) + "\n"),
         CLEAN, 0, (1, 1, 0), check=loaded_value("amount", Decimal("101.50"))),
    Kind("header-empty-first-line", raw(F, "\n" + good_csv()),
         f"{F}: file rejected: no header row: the first line is empty", 3, (0, 0, 0)),
    Kind("header-is-a-data-row", raw(F, good_csv().split("\n", 1)[1]),
         f"{F}: file rejected: no header: the file's header (O1, Deal", 3, (0, 0, 0)),
    Kind("header-only", raw(F, csv_text(HEADER, [])), CLEAN, 0, (0, 0, 0)),
    Kind("file-empty", raw(F, b""), f"{F}: file rejected: the file is empty", 3, (0, 0, 0)),
    Kind("file-only-blank-lines", raw(F, "\n\n  \n"), f"{F}: file rejected: the file is empty", 3, (0, 0, 0)),
    # ---- types
    Kind("type-text-in-number", one_csv(F, (2, "amount", "abc")),
         f"{F}: row 2, column amount: value 'abc' is not a valid decimal; expected a decimal number such as 1234.50", 3, (3, 2, 1)),
    Kind("type-null-word", one_csv(F, (2, "amount", "NULL")),
         f"{F}: row 2, column amount: value 'NULL' is not a valid decimal", 3, (3, 2, 1)),
    Kind("type-decimal-comma", one_csv(F, (2, "amount", "1234,50")),
         f"{F}: row 2, column amount: value '1234,50' is not a valid decimal", 3, (3, 2, 1)),
    Kind("type-thousands-separator", one_csv(F, (2, "amount", "1,234.50")),
         f"{F}: row 2, column amount: value '1,234.50' is not a valid decimal", 3, (3, 2, 1)),
    Kind("type-currency-symbol", one_csv(F, (2, "amount", "$100")),
         f"{F}: row 2, column amount: value '$100' is not a valid decimal", 3, (3, 2, 1)),
    Kind("type-nan-and-infinity", one_csv(F, (2, "amount", "NaN"), (3, "amount", "inf")),
         f"{F}: row 3, column amount: value 'inf' is not a valid decimal", 3, (3, 1, 2)),
    Kind("type-huge-decimal", one_csv(F, (2, "amount", "99999999999999999999")),
         f"{F}: row 2, column amount: value '99999999999999999999' is an unparseable decimal (not a real decimal or out of range)", 3, (3, 2, 1)),
    Kind("type-integer-overflow", raw("accounts/a.csv", csv_text(ACCOUNTS, [account(1, "3000000000"), account(2, "12")])),
         "accounts/a.csv: row 1, column employee_count: value '3000000000' is an unparseable integer", 3, (2, 1, 1)),
    Kind("type-integer-with-fraction", raw("accounts/a.csv", csv_text(ACCOUNTS, [account(1, "12.5"), account(2, "12.0")])),
         "accounts/a.csv: row 1, column employee_count: value '12.5' is not a valid integer; expected a whole number", 3, (2, 1, 1)),
    Kind("type-scientific-notation", one_csv(F, (1, "amount", "1e3")), CLEAN, 0, (3, 3, 0),
         check=loaded_value("amount", Decimal("1000.00"))),
    Kind("type-padded-number", one_csv(F, (1, "amount", " 12.5 ")), CLEAN, 0, (3, 3, 0),
         check=loaded_value("amount", Decimal("12.50"))),
    Kind("type-date-day-first", one_csv(F, (2, "expected_close_date", "31/12/2024")),
         f"{F}: row 2, column expected_close_date: value '31/12/2024' is not a valid date; expected an ISO-8601 date YYYY-MM-DD", 3, (3, 2, 1)),
    Kind("type-date-month-first", one_csv(F, (2, "expected_close_date", "12/31/2024")),
         f"{F}: row 2, column expected_close_date: value '12/31/2024' is not a valid date", 3, (3, 2, 1)),
    Kind("type-date-impossible-day", one_csv(F, (2, "expected_close_date", "2024-02-30")),
         f"{F}: row 2, column expected_close_date: value '2024-02-30' is an unparseable date (not a real date or out of range)", 3, (3, 2, 1)),
    Kind("type-date-with-time", one_csv(F, (2, "expected_close_date", "2024-02-01 00:00:00")),
         f"{F}: row 2, column expected_close_date: value '2024-02-01 00:00:00' is not a valid date", 3, (3, 2, 1)),
    Kind("type-timestamp-hour-25", one_csv(F, (2, "created_at", "2024-01-01T25:00:00")),
         f"{F}: row 2, column created_at: value '2024-01-01T25:00:00' is an unparseable timestamp", 3, (3, 2, 1)),
    Kind("type-timestamp-zone-name", one_csv(F, (2, "created_at", "2024-01-01 10:00:00 CET")),
         f"{F}: row 2, column created_at: value '2024-01-01 10:00:00 CET' is not a valid timestamp; expected an ISO-8601 timestamp", 3, (3, 2, 1)),
    Kind("type-timestamp-epoch-seconds", one_csv(F, (2, "updated_at", "1704067200")),
         f"{F}: row 2, column updated_at: value '1704067200' is not a valid timestamp", 3, (3, 2, 1)),
    Kind("type-boolean-word", one_csv(F, (2, "is_deleted", "maybe")),
         f"{F}: row 2, column is_deleted: value 'maybe' is not a valid boolean; expected true/false, t/f, yes/no or 1/0", 3, (3, 2, 1)),
    Kind("type-boolean-spellings", one_csv(F, (1, "is_deleted", "Yes"), (2, "is_deleted", "T"), (3, "is_deleted", "0")),
         CLEAN, 0, (3, 3, 0), check=loaded_value("is_deleted", True)),
    # ---- ranges
    Kind("range-date-before-1990", one_csv(F, (2, "created_at", "1900-01-01")),
         f"{F}: row 2, column created_at: value '1900-01-01' is outside the accepted date window 1990-01-01 to", 3, (3, 2, 1)),
    Kind("range-date-after-window", one_csv(F, (2, "expected_close_date", "2999-01-01")),
         f"{F}: row 2, column expected_close_date: value '2999-01-01' is outside the accepted date window", 3, (3, 2, 1)),
    Kind("range-open-end-date", raw("reps/r.csv", csv_text(REPS, [["R1", "Rep 1", "2020-01-01", "9999-12-31", "2024-01-01"]])),
         "reps/r.csv: 1 value(s) of column left_date held an open-end date (9999-12-31 or 2999-12-31) and loaded as null (no end)", 0, (1, 1, 0)),
    Kind("range-negative-amount", one_csv(F, (2, "amount", "-8192.98")),
         f"{F}: row 2, column amount: value '-8192.98' is below the minimum 0", 3, (3, 2, 1)),
    Kind("range-value-not-accepted", one_csv(F, (2, "opportunity_type", "Renewal")),
         f"{F}: row 2, column opportunity_type: value 'Renewal' is not one of the accepted values (new_business, expansion, renewal)", 3, (3, 2, 1)),
    Kind("range-pattern-mismatch", one_csv(F, (2, "currency_code", "US")),
         f"{F}: row 2, column currency_code: value 'US' does not match the pattern ^[A-Za-z]{{3}}$", 3, (3, 2, 1)),
    Kind("range-required-blank", one_csv(F, (2, "stage_name", "  ")),
         f"{F}: row 2, column stage_name: value is missing or blank but the column is required", 3, (3, 2, 1)),
    # ---- keys
    Kind("key-duplicate-in-file", one_csv(F, (3, "opportunity_id", "O1")),
         f"{F}: row 3, column opportunity_id: primary key value 'O1' occurs more than once in the file", 3, (3, 1, 2)),
    Kind("key-null", one_csv(F, (2, "opportunity_id", "")),
         f"{F}: row 2, column opportunity_id: value is missing or blank but the column is required", 3, (3, 2, 1)),
    Kind("key-non-breaking-space", one_csv(F, (2, "opportunity_id", "\u00a0")),
         f"{F}: row 2, column opportunity_id: value is missing or blank but the column is required", 3, (3, 2, 1)),
    Kind("key-padded-with-spaces", one_csv(F, (2, "opportunity_id", " O2 ")), CLEAN, 0, (3, 3, 0),
         check=loaded_value("opportunity_id", "O2", row=2)),
    Kind("key-padded-repeats-a-key", one_csv(F, (3, "opportunity_id", " O1 ")),
         f"{F}: row 3, column opportunity_id: primary key value 'O1' occurs more than once in the file", 3, (3, 1, 2)),
    Kind("key-reference-padded-or-blank",
         raw(F, csv_text([*HEADER, "account_id"], [[*good_row(1), " A1 "], [*good_row(2), "   "], [*good_row(3), "A1"]])),
         CLEAN, 0, (3, 3, 0), check=loaded_values(account_id=["A1", None, "A1"])),
    Kind("key-across-files", both(one_csv(f"{OPP}/a.csv"), one_csv(f"{OPP}/b.csv", (1, "amount", "5"), n=1)),
         CLEAN, 0, (4, 4, 0)),
    Kind("copy-in-one-run", both(one_csv(f"{OPP}/a.csv"), one_csv(f"{OPP}/b.csv")),
         f"{OPP}/b.csv: skipped: the same content (sha256", 0, (3, 3, 0)),
    Kind("copy-of-rejected-file-in-one-run", both(raw(f"{OPP}/a.csv", "opportunity_id\nO1\n"), raw(f"{OPP}/b.csv", "opportunity_id\nO1\n")),
         f"{OPP}/a.csv, rejected in this run", 3, (0, 0, 0)),
    Kind("same-name-in-two-folders", both(one_csv(f"{OPP}/export.csv", (2, "amount", "-1")), raw("accounts/export.csv", csv_text(ACCOUNTS, [account(1, "-5")]))),
         "accounts/export.csv: row 1, column employee_count: value '-5' is below the minimum 0", 3, (4, 2, 2),
         check=quarantined_files("accounts/export.csv.rejected.csv", f"{OPP}/export.csv.rejected.csv")),
    # ---- file names and places
    Kind("name-wrong-extension", one_csv(f"{OPP}/o.txt"),
         f"{OPP}/o.txt: file rejected: unknown file extension '.txt': expected one of .csv, .parquet, .jsonl", 3, (0, 0, 0)),
    Kind("name-renamed-after-rejection", rename(f"{OPP}/o.txt", F), CLEAN, 0, (3, 3, 0), before=one_csv(f"{OPP}/o.txt")),
    Kind("name-upper-case-extension", one_csv(f"{OPP}/o.CSV"), CLEAN, 0, (3, 3, 0)),
    Kind("name-no-extension", one_csv(f"{OPP}/o"), f"{OPP}/o: file rejected: unknown file extension ''", 3, (0, 0, 0)),
    Kind("name-compressed", raw(f"{OPP}/o.csv.gz", b"\x1f\x8b\x08\x00"),
         f"{OPP}/o.csv.gz: file rejected: unknown file extension '.gz'", 3, (0, 0, 0)),
    Kind("name-brackets", one_csv(f"{OPP}/opps [final].csv", (2, "amount", "-1")),
         f"{OPP}/opps [final].csv: row 2, column amount", 3, (3, 2, 1)),
    Kind("name-emoji-code", one_csv(f"{OPP}/:warning: o.csv", (2, "amount", "-1")),
         f"{OPP}/:warning: o.csv: row 2, column amount", 3, (3, 2, 1)),
    Kind("name-spaces", one_csv(f"{OPP}/my export 2024.csv", (2, "amount", "-1")),
         f"{OPP}/my export 2024.csv: row 2, column amount", 3, (3, 2, 1)),
    Kind("name-unicode", one_csv(f"{OPP}/opportunités_ß.csv", (2, "amount", "-1")),
         f"{OPP}/opportunités_ß.csv: row 2, column amount", 3, (3, 2, 1)),
    Kind("name-apostrophe", one_csv(f"{OPP}/o'brien.csv", (2, "amount", "-1")),
         f"{OPP}/o'brien.csv: row 2, column amount", 3, (3, 2, 1)),
    Kind("name-line-break", one_csv(f"{OPP}/a\nb.csv", (2, "amount", "-1")),
         f"{OPP}/a\\nb.csv: row 2, column amount: value '-1' is below the minimum 0", 3, (3, 2, 1),
         check=no_control_characters),
    Kind("name-terminal-escape", one_csv(f"{OPP}/\x1b[31mred.csv", (2, "amount", "-1")),
         f"{OPP}/\\x1b[31mred.csv: row 2, column amount", 3, (3, 2, 1), check=no_control_characters),
    Kind("name-hidden-file", one_csv(f"{OPP}/.o.csv.tmp"), "Load: files 0,", 0, (0, 0, 0)),
    Kind("name-hidden-folder", one_csv(f".{OPP}/o.csv"), "Load: files 0,", 0, (0, 0, 0)),
    Kind("place-unknown-table-folder", one_csv("opportunity/o.csv"),
         "opportunity/o.csv: file rejected: unknown table folder 'opportunity': it is not a table of the raw contract", 3, (0, 0, 0)),
    Kind("place-folder-case", one_csv("Opportunities/o.csv"),
         "Opportunities/o.csv: file rejected: unknown table folder 'Opportunities'", 3, (0, 0, 0)),
    Kind("place-top-level-file", one_csv("o.csv"),
         "o.csv: file rejected: not in a table folder: files must be landing/<table>/<file>", 3, (0, 0, 0)),
    Kind("place-nested-folder", one_csv(f"{OPP}/2024/o.csv"),
         f"{OPP}/2024/o.csv: file rejected: not in a table folder", 3, (0, 0, 0)),
    # ---- symlinks
    Kind("symlink-inside-landing", both(one_csv(F), symlink(f"{OPP}/latest.csv", lambda landing: landing / F)),
         f"{OPP}/latest.csv: skipped: the same content", 0, (3, 3, 0),
         check=loaded_value("_source_file", F)),  # the real file loads though the link sorts first
    Kind("symlink-outside-landing", symlink(F, outside("opps.csv", good_csv())),
         f"{F}: file refused: a symbolic link to a file outside the landing folder: it was not read, copied or loaded", 3, (0, 0, 0),
         check=nothing_of("o.csv")),
    Kind("symlink-system-file", symlink(F, lambda landing: Path("/etc/passwd")),
         f"{F}: file refused: a symbolic link to a file outside the landing folder", 3, (0, 0, 0),
         check=nothing_of("o.csv")),
    Kind("symlink-table-folder", symlink(OPP, lambda landing: outside("opps/o.csv", good_csv())(landing).parent, is_dir=True),
         f"{OPP}: file refused: a symbolic link to a folder: table folders must be real folders", 3, (0, 0, 0)),
    Kind("symlink-broken", symlink(F, lambda landing: landing / "nowhere.csv"),
         f"{F}: file refused: a broken symbolic link (its target does not exist)", 3, (0, 0, 0)),
    Kind("symlink-loop", symlink(F, lambda landing: landing / F),
         f"{F}: file refused: a broken symbolic link", 3, (0, 0, 0)),
    # ---- Parquet
    Kind("parquet-truncated", parquet(_parquet_table(), damage=lambda b: b[: len(b) // 2]),
         f"{PARQUET_FOOTER} (the file's metadata at its end) cannot be read", 3, (0, 0, 0)),
    Kind("parquet-corrupted-page", parquet(_parquet_table(), damage=_overwrite_in_amounts),
         f"{P}: file rejected: damaged Parquet file: row group 1 of 1, column amount: page checksum mismatch", 3, (0, 0, 0)),
    Kind("parquet-empty-file", raw(P, b""), f"{PARQUET_FOOTER} (the file's metadata at its end) cannot be read (Parquet file size is 0 bytes)", 3, (0, 0, 0)),
    Kind("parquet-not-parquet", raw(P, good_csv()), PARQUET_FOOTER, 3, (0, 0, 0)),
    Kind("parquet-wrong-schema", parquet(pa.table({"id": ["O1"], "name": ["x"]})),
         f"{P}: file rejected: no header: the file's columns (id, name) name none of the contract columns", 3, (0, 0, 0)),
    Kind("parquet-missing-required-column", parquet(_parquet_table().drop_columns(["updated_at"])),
         f"{P}: file rejected: required column 'updated_at' is missing", 3, (0, 0, 0)),
    Kind("parquet-column-twice", parquet(_parquet_table(1).append_column("AMOUNT", pa.array(["1"]))),
         f"{P}: file rejected: the file's columns name column(s) amount / AMOUNT more than once", 3, (0, 0, 0)),
    Kind("parquet-no-rows", parquet(_parquet_table(0)), CLEAN, 0, (0, 0, 0)),
    Kind("parquet-typed-columns", parquet(_parquet_table(amount=pa.array([Decimal("1.50"), None, Decimal("-2.00")], pa.decimal128(10, 2)), is_deleted=pa.array([True, False, None]))),
         f"{P}: row 3, column amount: value '-2.00' is below the minimum 0", 3, (3, 2, 1)),
    Kind("parquet-float-ids",
         parquet(_parquet_table(opportunity_id=pa.array([1.0, 2.0, 3.0]), account_id=pa.array([7.0, None, 2.5]))),
         CLEAN, 0, (3, 3, 0),
         check=loaded_values(opportunity_id=["1", "2", "3"], account_id=["7", None, "2.5"])),
    Kind("parquet-nested-column", parquet(_parquet_table(amount=pa.array([{"v": 1}, None, None]))),
         f"{P}: row 1, column amount: value '{{'v': 1}}' is not a valid decimal", 3, (3, 2, 1)),
    Kind("parquet-integer-overflow", parquet(_parquet_table(amount=pa.array([10**19, 1, 2], pa.uint64()))),
         f"{P}: row 1, column amount: value '10000000000000000000' is an unparseable decimal", 3, (3, 2, 1)),
    # ---- JSON lines
    Kind("jsonl-invalid-line", jsonl(json_line(1), '{"opportunity_id": "O2", "amount":', json_line(3)),
         f"{J}: line 2: the line is not valid JSON (Expecting value at character 35): '{{\"opportunity_id\": \"O2\", \"amount\":'", 3, (3, 2, 1)),
    Kind("jsonl-line-not-an-object", jsonl(json_line(1), "[1, 2]", json_line(3)),
         f"{J}: line 2: the line is a JSON array, not an object: '[1, 2]'", 3, (3, 2, 1)),
    Kind("jsonl-trailing-garbage", jsonl(json_line(1), json_line(2) + " trailing", json_line(3)),
         f"{J}: line 2: the line is not valid JSON (Extra data at character", 3, (3, 2, 1)),
    Kind("jsonl-empty-lines", jsonl(json_line(1), "", json_line(2), ""), CLEAN, 0, (2, 2, 0)),
    Kind("jsonl-whitespace-only-line", jsonl(json_line(1), "   ", " \t \r", json_line(2)), CLEAN, 0, (2, 2, 0)),
    Kind("jsonl-bad-line-then-bad-row", jsonl(json_line(1), "oops", json_line(3, amount="-1"), json_line(4)),
         f"{J}: row 3, column amount: value '-1' is below the minimum 0", 3, (4, 2, 2),
         check=loaded_value("_source_row", 4, row=2)),
    Kind("jsonl-crlf", jsonl(json_line(1), json_line(2), eol="\r\n"), CLEAN, 0, (2, 2, 0)),
    Kind("jsonl-byte-order-mark", raw(J, "\ufeff" + json_line(1) + "\n" + json_line(2) + "\n"), CLEAN, 0, (2, 2, 0),
         check=loaded_value("opportunity_id", "O1")),
    Kind("jsonl-upper-case-keys", jsonl(json.dumps({k.upper(): v for k, v in zip(HEADER, good_row(1), strict=True)})),
         CLEAN, 0, (1, 1, 0), check=loaded_value("amount", Decimal("101.50"))),
    Kind("jsonl-float-ids", jsonl(json_line(1, opportunity_id=1.0, account_id=7.0), json_line(2, opportunity_id=2, account_id=2.5),
                                  json_line(3, account_id="7")),
         CLEAN, 0, (3, 3, 0),
         check=loaded_values(opportunity_id=["1", "2", "O3"], account_id=["7", "2.5", "7"])),
    Kind("jsonl-missing-required-key", jsonl(json_line(1), json.dumps({"opportunity_id": "O2", "stage_name": "Won", "created_at": "2024-01-01"})),
         f"{J}: row 2, column updated_at: value is missing or blank but the column is required", 3, (2, 1, 1)),
    Kind("jsonl-key-case-differs-between-lines", jsonl(json_line(1), json_line(2).replace('"amount"', '"Amount"')),
         f"{J}: file rejected: keys that differ only in case name the same column (amount / Amount)", 3, (0, 0, 0)),
    Kind("jsonl-key-first-seen-late", jsonl(json_line(1, amount=MISSING), json_line(2, amount=MISSING), json_line(3)),
         CLEAN, 0, (3, 3, 0), during=sample_two_lines, check=loaded_value("amount", Decimal("103.50"), row=3)),
    Kind("jsonl-duplicate-key", jsonl(json_line(1), json_line(2)[:-1] + ', "amount": "5"}', json_line(3)),
         f"{J}: line 2: the object names key 'amount' more than once", 3, (3, 2, 1)),
    Kind("jsonl-no-object-line", jsonl("[1]", "oops"),
         f"{J}: file rejected: no line of the file is a JSON object", 3, (0, 0, 0)),
    Kind("jsonl-json-array-file", raw(J, json.dumps([json.loads(json_line(1))])),
         f"{J}: file rejected: no line of the file is a JSON object", 3, (0, 0, 0)),
    Kind("jsonl-typed-values", jsonl(json_line(1, amount=12.5, is_deleted=True), json_line(2, amount=None)),
         CLEAN, 0, (2, 2, 0), check=loaded_value("amount", Decimal("12.50"))),
    Kind("jsonl-nested-value", jsonl(json_line(1, amount={"value": 1}), json_line(2)),
         f"{J}: row 1, column amount: value '{{\"value\":1}}' is not a valid decimal", 3, (2, 1, 1)),
    # ---- growing and replaced files
    Kind("growing-while-loading", one_csv(F), f"{F}: skipped: the file changed while it was loading", 0, (0, 0, 0),
         during=grow_while_loading, check=next_load_loads((4, 4, 0))),
    Kind("growing-renamed-while-loading", one_csv(F),
         f"{F}: skipped: the file changed while it was loading (it was renamed or removed)", 0, (0, 0, 0),
         during=rename_while_loading, check=next_load_loads((4, 4, 0))),
    Kind("grown-after-load", raw(F, good_csv(4)),
         f"{F}: file rejected: the file grew since it was loaded on", 3, (0, 0, 0), before=one_csv(F)),
    Kind("replaced-at-same-path", one_csv(F, (1, "amount", "7")), CLEAN, 0, (3, 3, 0), before=one_csv(F)),
    # ---- console markup and spreadsheet formulas in values
    Kind("markup-in-bad-value", one_csv(F, (2, "amount", "[/yellow]")),
         f"{F}: row 2, column amount: value '[/yellow]' is not a valid decimal", 3, (3, 2, 1)),
    Kind("markup-in-loaded-value", one_csv(F, (1, "opportunity_name", "[bold red]x[/]")), CLEAN, 0, (3, 3, 0),
         check=loaded_value("opportunity_name", "[bold red]x[/]")),
    Kind("terminal-escape-in-value", one_csv(F, (2, "amount", "\x1b[2J\x1b[31m")),
         f"{F}: row 2, column amount: value '\\x1b[2J\\x1b[31m' is not a valid decimal", 3, (3, 2, 1),
         check=no_control_characters),
    Kind("long-bad-value", one_csv(F, (2, "amount", "9" * 100_000 + "x")),
         f"{F}: row 2, column amount: value '{'9' * 57}...' is not a valid decimal", 3, (3, 2, 1),
         check=short_output),
    Kind("emoji-code-in-value", one_csv(F, (2, "currency_code", ":warning:")),
         f"{F}: row 2, column currency_code: value ':warning:' does not match the pattern", 3, (3, 2, 1)),
    Kind("formula-hyperlink", one_csv(F, (2, "opportunity_name", '=HYPERLINK("http://x","y")'), (2, "amount", "-1")),
         f"{F}: row 2, column amount: value '-1' is below the minimum 0", 3, (3, 2, 1),
         check=rejected_cell("opportunity_name", '\'=HYPERLINK("http://x","y")')),
    Kind("formula-plus-command", one_csv(F, (2, "opportunity_name", "+cmd|' /C calc'!A0"), (2, "amount", "-1")),
         f"{F}: row 2, column amount: value '-1' is below the minimum 0", 3, (3, 2, 1),
         check=rejected_cell("opportunity_name", "'+cmd|' /C calc'!A0")),
    Kind("formula-at-sum", one_csv(F, (2, "opportunity_name", "@SUM(1+1)*cmd"), (2, "amount", "-1")),
         f"{F}: row 2, column amount: value '-1' is below the minimum 0", 3, (3, 2, 1),
         check=rejected_cell("opportunity_name", "'@SUM(1+1)*cmd")),
    Kind("formula-minus-expression", one_csv(F, (2, "amount", "-1+2")),
         f"{F}: row 2, column amount: value '-1+2' is not a valid decimal", 3, (3, 2, 1),
         check=rejected_cell("amount", "'-1+2")),
    Kind("formula-in-loaded-value", one_csv(F, (1, "opportunity_name", "=1+2")), CLEAN, 0, (3, 3, 0),
         check=loaded_value("opportunity_name", "=1+2")),
]  # fmt: skip


# --------------------------------------------------------------------------- running


def _env(s: Settings) -> dict[str, str]:
    return {
        "CRM_LANDING_DIR": str(s.landing_dir),
        "CRM_QUARANTINE_DIR": str(s.quarantine_dir),
        "CRM_DUCKDB_PATH": str(s.warehouse_path),
        "CRM_PUBLISH_DIR": str(s.publish_dir),
    }


def _connect(s: Settings) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(s.warehouse_path), read_only=True)
    con.execute("set TimeZone = 'UTC'")
    return con


def _ledger_totals(s: Settings) -> tuple[int, int, int]:
    """Rows landed, loaded and quarantined over the ledger, each file's
    counts checked against the rows it left in raw.<table> and raw._quarantine
    (one connection for all of it: opening the file is most of a query's cost)."""
    with _connect(s) as con:
        ledger = con.execute(
            "select file_hash, source_file, table_name, status, rows_landed, rows_loaded,"
            " rows_quarantined, started_at from raw._load_ledger"
        ).fetchall()
        for file_hash, source, table, status, landed, loaded, quarantined, started in ledger:
            assert landed == loaded + quarantined, (source, landed, loaded, quarantined)
            if status != "loaded":
                assert (landed, loaded, quarantined) == (0, 0, 0), source
                continue
            in_raw = con.execute(
                f"select count(*) from raw.{table} where _source_file = ? and _loaded_at = ?",
                [source, started],
            ).fetchone()
            in_quarantine = con.execute(
                "select count(distinct (source_row, rule = 'line')) from raw._quarantine"
                " where file_hash = ?",
                [file_hash],
            ).fetchone()
            assert in_raw and in_quarantine, source
            assert (in_raw[0], in_quarantine[0]) == (loaded, quarantined), source
    totals = [sum(r[k] for r in ledger) for k in (4, 5, 6)]
    return totals[0], totals[1], totals[2]


def _load(s: Settings) -> Any:
    return CliRunner().invoke(cli.app, ["load"], env=_env(s))


@pytest.mark.parametrize(
    "kind",
    [
        pytest.param(
            k, id=k.id, marks=[pytest.mark.xfail(strict=True, reason=k.xfail)] if k.xfail else []
        )
        for k in KINDS
    ],
)
def test_bad_input(kind: Kind, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    s = Settings.under(tmp_path)
    s.landing_dir.mkdir(parents=True)
    before = (0, 0, 0)
    if kind.before is not None:
        kind.before(s.landing_dir)
        _load(s)
        before = _ledger_totals(s)
    kind.build(s.landing_dir)
    if kind.during is not None:
        kind.during(monkeypatch, s.landing_dir)
    res = _load(s)
    monkeypatch.undo()
    output = res.output
    assert res.exception is None or isinstance(res.exception, SystemExit), output
    assert "Traceback" not in output
    assert kind.message in output, output
    assert res.exit_code == kind.exit_code, output
    after = _ledger_totals(s)
    assert tuple(a - b for a, b in zip(after, before, strict=True)) == kind.rows
    if kind.check is not None:
        kind.check(s, output)


# --------------------------------------------------------------------------- the docs

DOCS = Path(__file__).resolve().parents[3] / "docs" / "loading.md"
SECTION = "## Bad input the loader handles"


def _docs_rows() -> dict[str, list[str]]:
    """The table of docs/loading.md's bad-input section: {kind id: cells}."""
    text = DOCS.read_text(encoding="utf-8")
    section = text.split(SECTION, 1)[1].split("\n## ", 1)[0]
    rows: dict[str, list[str]] = {}
    for line in section.splitlines():
        match = re.match(r"^\| `([a-z0-9-]+)` \|", line)
        if match:
            assert match.group(1) not in rows, f"{match.group(1)} listed twice"
            rows[match.group(1)] = [c.strip() for c in re.split(r"(?<!\\)\|", line)[1:-1]]
    return rows


def test_docs_list_every_corpus_kind() -> None:
    """Every corpus kind has one row in docs/loading.md (kind, what the user
    sees, exit code) with the message the test checks; no row names a kind
    the corpus does not have."""
    rows = _docs_rows()
    assert sorted(rows) == sorted(k.id for k in KINDS)
    for kind in KINDS:
        _, _, seen, exit_code = rows[kind.id]
        assert exit_code == str(kind.exit_code), kind.id
        if kind.xfail:  # the docs say what the user sees today, and that it is a known issue
            assert "known issue" in seen, kind.id
        else:
            assert kind.message.replace("|", "\\|") in seen, (kind.id, kind.message)


def test_the_corpus_covers_every_category() -> None:
    groups = {k.id.split("-")[0] for k in KINDS}
    assert len(KINDS) >= 60
    expected = {"encoding", "eol", "quote", "header", "type", "range", "key", "name", "symlink"}
    assert expected | {"parquet", "jsonl", "growing", "markup", "formula"} <= groups
