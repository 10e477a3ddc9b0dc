"""The SQL of one part: its rows cleaned, joined and filtered, and each column converted.

A `PartPlan` is a part checked against its files. From it, `filtered_sql`
gives the source rows with null markers as nulls, the joined files' columns
and the filter applied, numbered in file order (`__row`); `stages` adds the raw
value of every contract column (`value_sql`: source column, constant or
expression, value map, default, when:), reading `typed.<column>` values where
a spec asks for them; `typed_sql` converts a raw value to the contract's type
(dates and timestamps with their formats and time zone, numbers as the export
writes them) and `text_sql` writes it back as contract text. The check and the
run of a part both build on these.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import duckdb

from crm_warehouse.imports.sources import Source
from crm_warehouse.imports.spec import TYPED_REF_RE, ColumnSpec, NumberFormat, PartSpec
from crm_warehouse.ingest.contract import Column, Table, whole_float_id_sql
from crm_warehouse.settings import sql_identifier, sql_literal

_TS_FMT = "%Y-%m-%d %H:%M:%S"
_OFFSET_RE = r"\d:\d\d(:\d\d(\.\d+)?)?\s*(Z|[+-]\d\d(:?\d\d)?)$"
_BOOL_TRUE = ("true", "t", "yes", "y", "1")
_BOOL_FALSE = ("false", "f", "no", "n", "0")


def _literal_or_null(value: str | None) -> str:
    """`value` as a SQL string literal; None as null (a constant or map target of null)."""
    return "null" if value is None else sql_literal(value)


@dataclass
class PartPlan:
    """A part checked against its sources, ready to run."""

    part: PartSpec
    source: Source
    joins: list[tuple[Source, tuple[tuple[str, str], ...], str]]  # source, key pairs, prefix
    columns: dict[str, str]  # available (joined) source column -> type
    order_refs: list[tuple[str, str]]  # ("contract"|"source", name) per order_by item
    key_refs: list[tuple[str, str]]
    #: What the import says about the part without it being a problem: the
    #: optional source columns the export lacks (their columns left empty).
    notes: list[str] = field(default_factory=list)


def cleaned_sql(
    source: Source, null_values: tuple[str, ...], prefix: str = "", keep: tuple[str, ...] = ()
) -> str:
    """Select every column of the source with null markers turned into nulls."""
    markers = ", ".join(sql_literal(v.strip()) for v in null_values)
    cols = []
    for name, dtype in source.columns.items():
        alias = name if name in keep else prefix + name
        if markers and dtype.upper() == "VARCHAR":
            cols.append(
                f"case when trim({sql_identifier(name)}) in ({markers}) then null else {sql_identifier(name)} end as {sql_identifier(alias)}"
            )
        else:
            cols.append(f"{sql_identifier(name)} as {sql_identifier(alias)}")
    return f"select {', '.join(cols)} from {source.sql}"


def filtered_sql(plan: PartPlan, with_filter: bool = True) -> str:
    """Rows of the part's source, cleaned, joined and filtered, with their file order (__row).

    The joined file's key columns are not added: they equal the part's.
    """
    part = plan.part
    base = cleaned_sql(plan.source, part.null_values)
    sql = f"select row_number() over () as __row, * from ({base}) as src"
    for i, (js, pairs, prefix) in enumerate(plan.joins):
        right = [r for _, r in pairs]
        joined = cleaned_sql(js, part.null_values, prefix, keep=tuple(right))
        cond = " and ".join(
            f"cur.{sql_identifier(left)} = j{i}.{sql_identifier(r)}" for left, r in pairs
        )
        extra = ", ".join(
            f"j{i}.{sql_identifier(prefix + c)}" for c in js.columns if c not in right
        )
        sql = (
            f"select cur.*{', ' + extra if extra else ''} from ({sql}) as cur "
            f"left join ({joined}) as j{i} on {cond}"
        )
    if part.filter and with_filter:
        sql = f"select * from ({sql}) as joined where ({part.filter})"
    return sql


_ROW_NUMBER_RE = re.compile(r"\brow_number\s*\(\s*\)\s*over\s*\(([^()]*)\)", re.IGNORECASE)


def in_file_order(sql: str) -> str:
    """`row_number() over (...)` without an order by numbers rows in file order.

    DuckDB gives no order to a window without one (it may differ between runs
    on several threads); ids made with it must be the same on every import.
    """

    def fix(m: re.Match[str]) -> str:
        inside = m.group(1)
        if re.search(r"\border\s+by\b", inside, re.IGNORECASE):
            return m.group(0)
        return f"row_number() over ({inside.strip()} order by __row)"

    return _ROW_NUMBER_RE.sub(fix, sql)


def with_typed(sql: str) -> str:
    """`typed.<column>` in an expression -> the column holding that contract column's typed value."""
    return TYPED_REF_RE.sub(lambda m: sql_identifier("t__" + (m.group(1) or m.group(2))), sql)


def value_sql(spec: ColumnSpec, with_when: bool = True) -> str:
    """The raw value of a contract column, before type conversion.

    The order: the source (column, constant or expression), the value map,
    the default, then when: (null where its condition is not true).
    """
    if spec.kind == "value":
        expr = _literal_or_null(spec.value)
    else:
        expr = (
            sql_identifier(spec.source or "")
            if spec.kind == "from"
            else f"({with_typed(in_file_order(spec.expr or ''))})"
        )
        if spec.map:
            text = f"trim(cast({expr} as varchar))"
            whens = " ".join(
                f"when {sql_literal(k.strip())} then {_literal_or_null(v)}"
                for k, v in spec.map.items()
            )
            expr = f"case {text} {whens} else cast({expr} as varchar) end"
        if spec.default is not None:
            expr = f"coalesce(cast({expr} as varchar), {sql_literal(spec.default)})"
    if spec.when and with_when:
        expr = f"case when ({when_sql(spec)}) then {expr} end"
    return expr


def when_sql(spec: ColumnSpec) -> str:
    """The when: condition of a spec as it runs (true when it has none)."""
    return with_typed(in_file_order(spec.when or "true"))


def stages(
    con: duckdb.DuckDBPyConnection,
    table: Table,
    part: PartSpec,
    filtered: str,
    specs: dict[str, ColumnSpec],
) -> tuple[str, str | None]:
    """SQL of the filtered rows with `c__<column>` (the raw value) of every spec.

    Specs that read `typed.<column>` are computed last, over a relation that
    also holds `t__<column>`, the typed value of each column they read.
    Returns the full relation and the relation the typed specs are evaluated
    over (None when no spec reads typed values).
    """
    base = {n: s for n, s in specs.items() if not s.typed_refs}
    dep = {n: s for n, s in specs.items() if s.typed_refs}
    cols = [f"{value_sql(s)} as {sql_identifier('c__' + n)}" for n, s in base.items()]
    sql = f"select *{''.join(', ' + c for c in cols)} from ({filtered}) as f"
    if not dep:
        return sql, None
    refs = list(dict.fromkeys(r for s in dep.values() for r in s.typed_refs if r in base))
    types = {
        str(r[0]): str(r[1]) for r in con.execute(f"describe select * from ({sql}) as b").fetchall()
    }
    typed = []
    for ref in refs:
        col = table.column(ref)
        spec = base[ref]
        typed.append(
            typed_sql(
                sql_identifier("c__" + ref),
                types.get("c__" + ref, "VARCHAR"),
                col,
                date_formats(part, spec, col),
                part.timezone,
                spec.numbers,
            )
            + f" as {sql_identifier('t__' + ref)}"
        )
    over = f"select *{''.join(', ' + t for t in typed)} from ({sql}) as b"
    cols = [f"{value_sql(s)} as {sql_identifier('c__' + n)}" for n, s in dep.items()]
    return f"select *, {', '.join(cols)} from ({over}) as t", over


def date_formats(part: PartSpec, spec: ColumnSpec, col: Column) -> list[str]:
    """The strptime formats a date or timestamp column is parsed with; [] means ISO-8601.

    A column's own format: wins; else the date_format and timestamp_format in
    force (the one of the column's type first). Constants are always ISO.
    """
    if spec.format:
        return [spec.format]
    if spec.kind == "value":
        return []
    order = (
        (part.date_format, part.timestamp_format)
        if col.data_type == "date"
        else (part.timestamp_format, part.date_format)
    )
    return [f for f in order if f]


def format_key(part: PartSpec, spec: ColumnSpec, col: Column) -> tuple[int | None, str]:
    """The line and key where the column's format is set (or should be)."""
    if spec.format:
        return spec.line, "format"
    keys = (
        ("date_format", "timestamp_format")
        if col.data_type == "date"
        else ("timestamp_format", "date_format")
    )
    for key in keys:
        if key in part.lines:
            return part.lines[key], key
    return spec.line, keys[0]


def format_line(part: PartSpec, spec: ColumnSpec, col: Column) -> int | None:
    """The line where the column's format is set (or should be)."""
    return format_key(part, spec, col)[0]


def _number_sql(x: str, nf: NumberFormat) -> str:
    """`x` (text as the export writes it) as a decimal(38, 10), or null when it does not fit `nf`.

    Currency symbols are stripped with the spaces around them, before or after
    the number; a leading minus (before or after the symbol) or parentheses
    make it negative; thousands separators must group by three; percent: true
    divides a value ending in % by 100.
    """
    t0 = f"trim(cast({x} as varchar))"
    paren = f"regexp_full_match({t0}, '\\(.*\\)')"
    t1 = f"trim(regexp_replace({t0}, '^\\((.*)\\)$', '\\1'))"
    t2 = t1
    if nf.currency_symbols:
        syms = "|".join(re.escape(c) for c in sorted(nf.currency_symbols, key=len, reverse=True))
        lead = sql_literal(r"^([+-]?)\s*(?:" + syms + r")\s*")
        trail = sql_literal(r"\s*(?:" + syms + r")$")
        t2 = f"regexp_replace(regexp_replace({t2}, {lead}, '\\1'), {trail}, '')"
    pct = "false"
    if nf.percent:
        pct = f"regexp_matches({t2}, '%$')"
        t2 = f"regexp_replace({t2}, '\\s*%$', '')"
    dec = re.escape(nf.decimal)
    if nf.thousands:
        th = "[ \u00a0\u202f]" if nf.thousands == " " else re.escape(nf.thousands)
        whole = r"\d{1,3}(?:" + th + r"\d{3})+|\d+"
    else:
        th, whole = "", r"\d+"
    pattern = sql_literal(r"^([+-]?)(" + whole + r")?(?:" + dec + r"(\d+))?$")
    sign = f"regexp_extract({t2}, {pattern}, 1)"
    int_part = f"coalesce(nullif(regexp_extract({t2}, {pattern}, 2), ''), '0')"
    if th:
        int_part = f"regexp_replace({int_part}, {sql_literal(th)}, '', 'g')"
    frac = f"coalesce(nullif(regexp_extract({t2}, {pattern}, 3), ''), '0')"
    ok = f"(regexp_full_match({t2}, {pattern}) and regexp_matches({t2}, '\\d'))"
    number = f"cast({sign} || {int_part} || '.' || {frac} as decimal(38, 10))"
    return (
        f"case when {ok} then {number} * (case when {paren} then -1 else 1 end) "
        f"* (case when {pct} then 0.01 else 1 end) end"
    )


def typed_sql(
    x: str,
    in_type: str,
    col: Column,
    formats: list[str],
    tz: str,
    numbers: NumberFormat | None = None,
) -> str:
    """A DuckDB expression giving `x` as the contract type (timestamps as naive UTC)."""
    t = in_type.upper()
    if numbers is not None and col.is_numeric and t == "VARCHAR":
        n = _number_sql(x, numbers)
        if col.data_type in ("integer", "bigint"):
            return f"case when {n} = floor({n}) and abs({n}) < 9.0e15 then cast({n} as bigint) end"
        return f"cast({n} as {col.data_type})"
    tzl = sql_literal(tz)
    if col.data_type == "timestamp":
        if t == "VARCHAR":
            tries = []
            for f in formats:
                parsed = f"try_strptime({x}, {sql_literal(f)})"
                tries.append(
                    f"timezone('UTC', {parsed})"
                    if ("%z" in f or "%Z" in f)
                    else f"timezone('UTC', timezone({tzl}, {parsed}))"
                )
            if tries:
                return f"coalesce({', '.join(tries)})"
            return (
                f"case when regexp_matches({x}, {sql_literal(_OFFSET_RE)}) "
                f"then timezone('UTC', try_cast({x} as timestamptz)) "
                f"else timezone('UTC', timezone({tzl}, try_cast({x} as timestamp))) end"
            )
        if "TIME ZONE" in t:
            return f"timezone('UTC', {x})"
        if t.startswith("TIMESTAMP") or t == "DATE":
            return f"timezone('UTC', timezone({tzl}, cast({x} as timestamp)))"
        return "cast(null as timestamp)"
    if col.data_type == "date":
        if t == "VARCHAR":
            tries = [f"cast(try_strptime({x}, {sql_literal(f)}) as date)" for f in formats]
            tries = tries or [f"try_cast({x} as date)", f"cast(try_cast({x} as timestamp) as date)"]
            return f"coalesce({', '.join(tries)})"
        if "TIME ZONE" in t:
            return f"cast(timezone('UTC', {x}) as date)"
        if t.startswith("TIMESTAMP") or t == "DATE":
            return f"cast({x} as date)"
        return "cast(null as date)"
    if col.data_type == "boolean":
        if t == "BOOLEAN":
            return x
        text = f"lower(trim(cast({x} as varchar)))"
        true, false = (
            ", ".join(map(sql_literal, _BOOL_TRUE)),
            ", ".join(map(sql_literal, _BOOL_FALSE)),
        )
        return f"case when {text} in ({true}) then true when {text} in ({false}) then false end"
    if col.data_type in ("integer", "bigint"):
        d = f"try_cast(trim(cast({x} as varchar)) as double)"
        return f"case when {d} = floor({d}) and abs({d}) < 9.0e15 then cast({d} as bigint) end"
    if col.data_type.startswith("decimal"):
        return f"try_cast(trim(cast({x} as varchar)) as {col.data_type})"
    if col.is_identifier and t in ("FLOAT", "DOUBLE"):
        return whole_float_id_sql(x)
    return f"cast({x} as varchar)"


def text_sql(typed: str, col: Column) -> str:
    """Contract text of a typed value."""
    if col.data_type == "timestamp":
        return f"strftime({typed}, {sql_literal(_TS_FMT)})"
    if col.data_type == "date":
        return f"strftime({typed}, '%Y-%m-%d')"
    if col.data_type == "boolean":
        return f"case when {typed} then 'true' when not {typed} then 'false' end"
    return f"cast({typed} as varchar)"
