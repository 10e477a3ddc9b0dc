"""Test-parsing a part's date, timestamp and number columns before the import.

The first values of each such column (`FORMAT_SAMPLE`) are converted with the
formats (or numbers: block) the mapping gives; when one does not convert, the
problem names the value and proposes a format or a numbers: block that
converts them all (`KNOWN_CURRENCY` and the common formats are tried).
"""

from __future__ import annotations

import re

import duckdb

from crm_warehouse.imports.part_sql import (
    date_formats,
    format_key,
    format_line,
    typed_sql,
    value_sql,
)
from crm_warehouse.imports.sources import first_line
from crm_warehouse.imports.spec import (
    COMMON_FORMATS,
    ColumnSpec,
    Issue,
    Mapping,
    NumberFormat,
    PartSpec,
)
from crm_warehouse.ingest.contract import Column
from crm_warehouse.settings import sql_literal

#: How many non-null values of a date or timestamp column are test-parsed before the import.
FORMAT_SAMPLE = 20


def check_format(
    con: duckdb.DuckDBPyConnection,
    mapping: Mapping,
    part: PartSpec,
    spec: ColumnSpec,
    col: Column,
    filtered: str,
    what: str,
) -> Issue | None:
    """Test-parse the first values of a date or timestamp column; propose a format that fits."""
    value = value_sql(spec)
    try:
        in_type = _type_name(con, value, filtered)
    except duckdb.Error:
        return None  # reported by the expression check
    if in_type.upper() != "VARCHAR":
        return None
    formats = date_formats(part, spec, col)
    typed = typed_sql("v", in_type, col, formats, part.timezone)
    try:
        rows = con.execute(
            f"select v, {typed} is not null from (select {value} as v from ({filtered})) "
            f"where v is not null limit {FORMAT_SAMPLE}"
        ).fetchall()
    except duckdb.Error as exc:
        return Issue(
            mapping.path,
            format_line(part, spec, col),
            f"{what}: column '{spec.name}': the format {formats} cannot be used: {first_line(exc)}",
            "write a strptime format such as '%d/%m/%Y %H:%M'",
        )
    bad = [v for v, good in rows if not good]
    if not bad:
        return None
    sample = list(dict.fromkeys(v for v, _ in rows))
    guess = _guess_format(con, sample, col)
    source = f"source column '{spec.source}'" if spec.kind == "from" else "its expression"
    _, kind = format_key(part, spec, col)
    if formats:
        message = (
            f"{what}: column '{spec.name}' (line {spec.line}): the value '{bad[0]}' from {source} "
            f"does not match the format {' or '.join(repr(f) for f in formats)}"
        )
    else:
        message = (
            f"{what}: column '{spec.name}' (line {spec.line}): the value '{bad[0]}' from {source} "
            f"is not an ISO-8601 {col.data_type} and no {kind} is given"
        )
    fix = (
        f"write {kind}: '{guess}' (it parses {', '.join(repr(v) for v in sample[:3])})"
        if guess
        else f"write {kind}: a strptime format that parses '{bad[0]}' (e.g. '%d/%m/%Y %H:%M')"
    )
    return Issue(mapping.path, format_line(part, spec, col), message, fix)


#: Currency signs and codes recognised when proposing a numbers: block.
KNOWN_CURRENCY = (
    "R$",
    "US$",
    "A$",
    "C$",
    "$",
    "€",
    "£",
    "¥",
    "₹",
    "CHF",
    "USD",
    "EUR",
    "GBP",
    "BRL",
)


def _guess_numbers(
    con: duckdb.DuckDBPyConnection, sample: list[str], col: Column
) -> NumberFormat | None:
    """A numbers: block that converts every value of `sample` (None when none does)."""
    symbols: list[str] = []
    cores = []
    percent = False
    for raw in sample:
        v = raw.strip().strip("()").strip()
        if v.endswith("%"):
            percent = True
            v = v[:-1].strip()
        for sym in KNOWN_CURRENCY:
            stripped = v.lstrip("+-").strip()
            if stripped.startswith(sym) or v.endswith(sym):
                if sym not in symbols and not any(sym in s for s in symbols):
                    symbols.append(sym)
                v = stripped[len(sym) :] if stripped.startswith(sym) else v[: -len(sym)]
                v = v.strip()
                break
        cores.append(v.lstrip("+-").strip())
    comma_decimal = any(
        re.fullmatch(r"\d{1,3}(\.\d{3})+(,\d+)?", c) or re.fullmatch(r"\d+,\d{1,2}", c)
        for c in cores
    )
    candidates = []
    if comma_decimal:
        candidates += [(",", "."), (",", " "), (",", None)]
    candidates += [(".", ","), (".", None), (".", " "), (".", "'")]
    for decimal, thousands in candidates:
        nf = NumberFormat(
            decimal=decimal,
            thousands=thousands,
            currency_symbols=tuple(symbols),
            percent=percent,
        )
        values = ", ".join(sql_literal(v) for v in sample)
        typed = typed_sql("v", "VARCHAR", col, [], "UTC", nf)
        row = con.execute(
            f"select bool_and(({typed}) is not null) from unnest([{values}]) as t(v)"
        ).fetchone()
        if row and row[0]:
            return nf
    return None


def check_number(
    con: duckdb.DuckDBPyConnection,
    mapping: Mapping,
    part: PartSpec,
    spec: ColumnSpec,
    col: Column,
    filtered: str,
    what: str,
) -> Issue | None:
    """Test-parse the first values of a number column; propose a numbers: block that fits."""
    if spec.kind == "value":
        return None
    value = value_sql(spec)
    try:
        in_type = _type_name(con, value, filtered)
    except duckdb.Error:
        return None  # reported by the expression check
    if in_type.upper() != "VARCHAR":
        return None
    # The format is checked, not the data: 2.5 in a whole-number column is a
    # value the loader quarantines (the import warns), not a numbers: problem.
    col = Column(col.name, "decimal(38, 10)", col.description)
    typed = typed_sql("v", in_type, col, [], part.timezone, spec.numbers)
    rows = con.execute(
        f"select v, ({typed}) is not null from (select {value} as v from ({filtered})) "
        f"where v is not null and trim(v) <> '' limit {FORMAT_SAMPLE}"
    ).fetchall()
    bad = [v for v, good in rows if not good]
    if not bad:
        return None
    sample = list(dict.fromkeys(v for v, _ in rows))
    guess = _guess_numbers(con, sample, col)
    source = f"source column '{spec.source}'" if spec.kind == "from" else "its expression"
    kind = "a number"
    given = f" with numbers: {spec.numbers.as_yaml()}" if spec.numbers else ""
    message = (
        f"{what}: column '{spec.name}' (line {spec.line}): the value '{bad[0]}' from {source} "
        f"is not {kind}{given}"
    )
    line = spec.numbers.line if spec.numbers and spec.numbers.line else spec.line
    examples = ", ".join(repr(v) for v in sample[:3])
    if guess and (guess.decimal, guess.thousands, guess.currency_symbols, guess.percent) != (
        ".",
        None,
        (),
        False,
    ):
        fix = (
            f"write numbers: {guess.as_yaml()} (at the top, under the entity or in the column's "
            f"spec; it converts {examples})"
        )
    elif guess:
        fix = f"check the values (e.g. {examples}): they convert without numbers:"
    else:
        fix = (
            "write numbers: {decimal: ..., thousands: ..., currency_symbols: [...], percent: true} "
            f"that fits {examples}, or an expr: that makes the value a number"
        )
    return Issue(mapping.path, line, message, fix)


def _type_name(con: duckdb.DuckDBPyConnection, value: str, filtered: str) -> str:
    row = con.execute(f"describe select {value} as v from ({filtered})").fetchone()
    return str(row[1]) if row else "VARCHAR"


def _guess_format(con: duckdb.DuckDBPyConnection, sample: list[str], col: Column) -> str | None:
    values = ", ".join(sql_literal(v) for v in sample)
    for fmt in COMMON_FORMATS:
        if (
            col.data_type == "timestamp"
            and "%H" not in fmt
            and "%I" not in fmt
            and any(":" in v for v in sample)
        ):
            continue
        row = con.execute(
            f"select bool_and(try_strptime(v, {sql_literal(fmt)}) is not null) from unnest([{values}]) as t(v)"
        ).fetchone()
        if row and row[0]:
            return fmt
    return None
