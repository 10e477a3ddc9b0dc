"""A landed file's structure: its encoding, its header (CSV) or field names
(JSON lines, Parquet), and how its columns map onto the contract table
(`inspect_file` -> Layout). A file that cannot load whole raises
FileRejected with what was wrong and what to do.
"""

from __future__ import annotations

import codecs
import csv
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow.parquet as pq

from crm_warehouse.ingest.contract import Table, whole_float_id_sql
from crm_warehouse.ingest.lines import (
    MAX_LINE_BYTES,
    has_mixed_line_endings,
    json_key_args,
    json_text_sql,
    jsonl_source,
    new_tag,
    normalised_copy,
    rejects_options,
)
from crm_warehouse.ingest.parquet_check import check_parquet
from crm_warehouse.ingest.results import FileRejected
from crm_warehouse.settings import sql_identifier, sql_literal

#: Bytes read up front to check the encoding and parse the header.
_PREFIX_BYTES = 1 << 16


@dataclass
class Layout:
    """How to read one file: its columns and the DuckDB source expression."""

    file_columns: list[str]
    source_sql: str
    text_sql: list[str]
    #: contract column -> index in file_columns
    contract_index: dict[str, int]
    extras: list[str]
    missing_optional: list[str]
    #: how to find the lines the read left out (lines.line_problems); None for Parquet
    problems: str | None = None


def first_error_line(exc: BaseException) -> str:
    """The first line of a DuckDB error (with the line or character it names),
    without the error class."""
    lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip()]
    text = lines[0] if lines else type(exc).__name__
    for ln in lines[1:3]:
        if ln.startswith(("Original Line", "Expected Number", "Invalid unicode")):
            text += "; " + ln
    return re.sub(r"^[A-Za-z ]*Error: ", "", text)


def read_error_reason(exc: BaseException) -> str:
    """Why a file DuckDB failed to read is rejected, as one sentence."""
    text = str(exc)
    if "unicode" in text.lower() or "utf-8" in text.lower():
        return f"the file is not UTF-8 encoded ({first_error_line(exc)}); re-export it as UTF-8"
    return f"unreadable file: {first_error_line(exc)}"


#: Byte order marks of the encodings an export is most often saved in instead of UTF-8.
_OTHER_BOMS = (
    (codecs.BOM_UTF32_LE, "UTF-32"),
    (codecs.BOM_UTF32_BE, "UTF-32"),
    (codecs.BOM_UTF16_LE, "UTF-16"),
    (codecs.BOM_UTF16_BE, "UTF-16"),
)


def _check_utf8(prefix: bytes, at_eof: bool) -> None:
    """FileRejected when the first bytes of a file are not UTF-8, saying where
    (byte and line) or which encoding it looks like (UTF-16 or UTF-32)."""
    for bom, name in _OTHER_BOMS:
        if prefix.startswith(bom):
            raise FileRejected(
                f"the file is not UTF-8 encoded (it is {name}: it starts with the byte order"
                f" mark {bom.hex(' ')}); re-export it as UTF-8"
            )
    if b"\x00" in prefix.split(b"\n", 1)[0]:
        raise FileRejected(
            "the file is not UTF-8 encoded (its first line has NUL bytes: it looks UTF-16 or"
            " UTF-32 encoded); re-export it as UTF-8"
        )
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        decoder.decode(prefix, final=at_eof)
    except UnicodeDecodeError as exc:
        line = prefix.count(b"\n", 0, exc.start) + 1
        raise FileRejected(
            f"the file is not UTF-8 encoded (invalid byte 0x{prefix[exc.start]:02x} at byte "
            f"{exc.start}, line {line}); re-export it as UTF-8"
        ) from exc


def _read_prefix(path: Path) -> tuple[bytes, bool]:
    with path.open("rb") as fh:
        prefix = fh.read(_PREFIX_BYTES)
        at_eof = fh.read(1) == b""
    if not prefix.strip():
        raise FileRejected("the file is empty")
    _check_utf8(prefix, at_eof)
    return prefix, at_eof


def csv_header(path: Path) -> tuple[list[str], str]:
    """The column names of a CSV file's first line and its delimiter (the most
    frequent of , ; tab |); FileRejected when the file is empty, not UTF-8 or
    has no header line."""
    prefix, _ = _read_prefix(path)
    text = prefix.decode("utf-8", errors="ignore").removeprefix("\ufeff")
    line = text.splitlines()[0] if text.splitlines() else ""
    if not line.strip():
        raise FileRejected("no header row: the first line is empty")
    counts = {d: line.count(d) for d in (",", ";", "\t", "|")}
    delim = max(counts, key=lambda d: counts[d]) if any(counts.values()) else ","
    names = next(csv.reader([line], delimiter=delim))
    return [n.strip() for n in names], delim


def describe_columns(reader: duckdb.DuckDBPyConnection, source_sql: str) -> list[str]:
    """The column names DuckDB reads from `source_sql` (a read_json or
    read_parquet call); FileRejected when it cannot read them."""
    return [name for name, _ in describe_types(reader, source_sql)]


def describe_types(reader: duckdb.DuckDBPyConnection, source_sql: str) -> list[tuple[str, str]]:
    """The (name, DuckDB type) of each column DuckDB reads from `source_sql`;
    FileRejected when it cannot read them."""
    try:
        rows = reader.sql(f"describe select * from {source_sql}").fetchall()
    except duckdb.Error as exc:
        raise FileRejected(f"unreadable file: {first_error_line(exc)}") from exc
    return [(r[0], r[1]) for r in rows]


def _source(
    reader: duckdb.DuckDBPyConnection, path: Path, fmt: str, scratch: Path | None
) -> tuple[list[str], str, list[str], str | None, set[int]]:
    """A file's column names, the DuckDB expression reading it with every
    column as text, each column's text expression, how to find the lines
    the read leaves out (lines.line_problems) and the positions of the
    columns a Parquet file stores as floating point."""
    if fmt == "csv":
        names, delim = csv_header(path)
        names = [n or f"column{i + 1}" for i, n in enumerate(names)]
        if scratch is not None and has_mixed_line_endings(path):
            path = normalised_copy(path, scratch, delim)
        columns = "{" + ", ".join(f"{sql_literal(n)}: 'VARCHAR'" for n in names) + "}"
        tag = new_tag()
        source_sql = (
            f"read_csv({sql_literal(str(path))}, auto_detect = false, header = true,"
            f" delim = {sql_literal(delim)}, quote = '\"', escape = '\"', strict_mode = true,"
            f" null_padding = false, encoding = 'utf-8', columns = {columns},"
            f" {rejects_options(tag, MAX_LINE_BYTES)})"
        )
        return names, source_sql, [sql_identifier(n) for n in names], f"csv:{tag}", set()
    if fmt == "jsonl":
        _read_prefix(path)
        try:
            names, source_sql, problems = jsonl_source(reader, path)
        except duckdb.Error as exc:
            raise FileRejected(f"unreadable file: {first_error_line(exc)}") from exc
        if not names:
            raise FileRejected("no line of the file is a JSON object")
        return names, source_sql, [json_text_sql(i) for i in range(len(names))], problems, set()
    check_parquet(path)  # DuckDB does not verify page checksums
    # DuckDB renames a repeated column (amount, AMOUNT_1): check the file's own names
    _check_duplicates(pq.read_schema(path).names, fmt)
    source_sql = f"read_parquet({sql_literal(str(path))})"
    described = describe_types(reader, source_sql)
    names = [name for name, _ in described]
    floats = {i for i, (_, dtype) in enumerate(described) if dtype in ("FLOAT", "DOUBLE")}
    return names, source_sql, [f"cast({sql_identifier(n)} as varchar)" for n in names], None, floats


def _no_header(names: list[str], fmt: str, table: Table) -> FileRejected:
    shown = ", ".join(names[:8]) + (", ..." if len(names) > 8 else "")
    if fmt == "jsonl":
        hint = "each line must be a JSON object keyed by the contract's column names"
        what = "keys"
    elif fmt == "csv":
        hint = "the first line must be a header naming the contract's columns"
        what = "header"
    else:
        hint = "name the Parquet columns as the contract does"
        what = "columns"
    return FileRejected(
        f"no header: the file's {what} ({shown}) name none of the contract columns of "
        f"table {table.name}; {hint}"
    )


def inspect_file(
    reader: duckdb.DuckDBPyConnection,
    path: Path,
    fmt: str,
    table: Table,
    scratch: Path | None = None,
) -> Layout:
    """Read the structure of a file; raise FileRejected when it cannot load.
    `scratch`: a folder for the normalised copy of a CSV with mixed line endings."""
    names, source_sql, text_sql, problems, floats = _source(reader, path, fmt, scratch)
    by_lower = {c.lower(): c for c in table.column_names}
    contract_index: dict[str, int] = {}
    extras: list[str] = []
    for i, name in enumerate(names):
        col = by_lower.get(name.strip().lower())
        if col is None:
            extras.append(name)
        else:
            contract_index[col] = i
    if not contract_index:
        raise _no_header(names, fmt, table)
    _check_duplicates(names, fmt)
    missing = [c for c in table.required_columns if c not in contract_index]
    if missing:
        plural = "s" if len(missing) > 1 else ""
        raise FileRejected(
            f"required column{plural} {', '.join(repr(m) for m in missing)} "
            f"{'are' if plural else 'is'} missing; the contract of table {table.name} requires"
            f" {', '.join(table.required_columns)}"
        )
    missing_optional = [c for c in table.column_names if c not in contract_index]
    if fmt in ("parquet", "jsonl"):
        identifiers = table.identifiers
        ids = [i for c, i in contract_index.items() if c in identifiers]
        text_sql = _whole_float_ids(fmt, names, text_sql, floats, ids)
    return Layout(names, source_sql, text_sql, contract_index, extras, missing_optional, problems)


def _whole_float_ids(
    fmt: str, names: list[str], text_sql: list[str], floats: set[int], ids: list[int]
) -> list[str]:
    """The text expressions of `text_sql`, with the identifiers (positions
    `ids`) a Parquet file stores as floating point (positions `floats`), or a
    JSON line writes as a number with a fraction, read as whole numbers
    (contract.whole_float_id_sql): '123.0' would join nothing."""
    out = list(text_sql)
    if fmt == "jsonl":
        for i in ids:
            key = json_key_args(i)
            number = f"cast(json_extract({key}) as double)"
            out[i] = (
                f"case when json_type({key}) = 'DOUBLE' then {whole_float_id_sql(number)}"
                f" else {text_sql[i]} end"
            )
        return out
    for i in ids:
        if i in floats:
            out[i] = whole_float_id_sql(sql_identifier(names[i]))
    return out


def _check_duplicates(names: list[str], fmt: str = "csv") -> None:
    """FileRejected when two names of a file name one column (names match the
    contract case-insensitively). A JSON lines file's keys come from all its
    lines, so there it is two spellings of a key in different lines."""
    seen: Counter[str] = Counter(n.strip().lower() for n in names)
    dups = sorted(n for n, k in seen.items() if k > 1)
    if not dups:
        return
    if fmt == "csv":
        raise FileRejected(f"the header names column(s) {', '.join(dups)} more than once")
    spellings = "; ".join(
        " / ".join(dict.fromkeys(n for n in names if n.strip().lower() == d)) for d in dups
    )
    if fmt == "jsonl":
        raise FileRejected(
            f"keys that differ only in case name the same column ({spellings}): keys match"
            " the contract case-insensitively; write each key the same way in every line"
        )
    raise FileRejected(
        f"the file's columns name column(s) {spellings} more than once (names match the"
        " contract case-insensitively); rename or drop one"
    )


def layout_warnings(rel: str, layout: Layout, table: Table) -> list[str]:
    """The summary's warnings about a file that loads: columns it has that the
    contract does not."""
    out = []
    if layout.extras:
        out.append(
            f"{rel}: warning: column(s) {', '.join(layout.extras)} are not in the contract of"
            f" table {table.name} and were ignored"
        )
    return out
