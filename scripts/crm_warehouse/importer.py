"""Import a CRM export through a mapping file.

`import_export(mapping, source_dir, workdir)` reads the export's files with
DuckDB, applies the mapping (renames, constants, SQL expressions, value maps,
null markers, date and timestamp parsing with the source's time zone, the
latest row per record) and writes one contract-shaped CSV per entity into
`<workdir>/landing/<table>/<table>__b01_<export date>.csv`. From there the
usual load (validation against the raw contract, quarantine), dbt build and
publish take over, on the warehouse under `<workdir>` so that an import never
mixes with demo data:

    settings = import_settings(workdir)
    load_landing(settings); dbt_build(settings); publish(settings)

Before anything is written the mapping is checked against the source files:
every referenced file and column exists (with suggestions when not), every
expression and filter compiles, and every date and timestamp format parses the
first values of its column. All problems are raised together as a
`MappingError` naming the mapping file, the line and the fix.

Written values are contract text: timestamps `YYYY-MM-DD HH:MM:SS` in UTC,
dates `YYYY-MM-DD`, booleans true/false, numbers with a dot. A value that does
not convert is written as it was, so the loader quarantines its row with the
reason (never dropped silently), and the import reports it as a warning.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from crm_warehouse.contract import Column, Contract, Table, load_contract
from crm_warehouse.mapping import (
    COMMON_FORMATS,
    ColumnSpec,
    Issue,
    Mapping,
    MappingError,
    PartSpec,
    did_you_mean,
    load_mapping,
)
from crm_warehouse.settings import Settings, configure_duckdb, project_root, sql_literal

Progress = Callable[[str, int, int], None]

#: Batch number of the files an import writes (one batch per import).
BATCH = "b01"
#: How many non-null values of a date or timestamp column are test-parsed before the import.
FORMAT_SAMPLE = 20
#: How many example values a warning quotes.
EXAMPLES = 3

_CSV_EXT = (".csv", ".tsv", ".txt")
_PARQUET_EXT = (".parquet", ".pq")
_JSON_EXT = (".json", ".jsonl", ".ndjson")
_TS_FMT = "%Y-%m-%d %H:%M:%S"
_OFFSET_RE = r"\d:\d\d(:\d\d(\.\d+)?)?\s*(Z|[+-]\d\d(:?\d\d)?)$"
_BOOL_TRUE = ("true", "t", "yes", "y", "1")
_BOOL_FALSE = ("false", "f", "no", "n", "0")


# --------------------------------------------------------------------------- results


@dataclass
class EntityImport:
    """What the import did for one contract entity."""

    entity: str
    rows_read: int = 0
    rows_filtered_out: int = 0
    rows_superseded: int = 0
    rows_written: int = 0
    columns: list[str] = field(default_factory=list)
    file: str | None = None


@dataclass
class ImportResult:
    """The outcome of one import: per-entity row counts, the files written and warnings."""

    mapping: str
    source_dir: str
    workdir: str
    landing_dir: str
    export_date: str
    entities: dict[str, EntityImport] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    @property
    def rows_written(self) -> dict[str, int]:
        return {name: e.rows_written for name, e in self.entities.items()}

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["entities"] = {k: asdict(v) for k, v in self.entities.items()}
        return data


# --------------------------------------------------------------------------- SQL helpers


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _lit(value: str | None) -> str:
    return "null" if value is None else sql_literal(value)


def _file_list(files: list[Path]) -> str:
    return "[" + ", ".join(_lit(str(f)) for f in files) + "]"


def default_workdir(mapping_path: Path) -> Path:
    """<repo>/imports/<mapping stem>/: an import's own warehouse, apart from the demo data."""
    return project_root() / "imports" / Path(mapping_path).stem


def import_settings(workdir: Path) -> Settings:
    """The Settings of the warehouse an import into `workdir` loads, builds and publishes."""
    return Settings.under(workdir)


def _connect() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(":memory:")
    configure_duckdb(con, Path(tempfile.gettempdir()) / "crm-import-spill")
    return con


# --------------------------------------------------------------------------- reading sources


@dataclass
class _Source:
    """The files of one part (or join) and the SQL that reads them."""

    patterns: tuple[str, ...]
    files: list[Path]
    sql: str
    columns: dict[str, str]  # name -> DuckDB type


def _resolve(source_dir: Path, patterns: tuple[str, ...]) -> tuple[list[Path], list[str]]:
    files: list[Path] = []
    missing: list[str] = []
    for pattern in patterns:
        hits = sorted(p for p in source_dir.glob(pattern) if p.is_file())
        if not hits:
            missing.append(pattern)
        files += [h for h in hits if h not in files]
    return files, missing


def _reader_sql(files: list[Path], csv: dict[str, str]) -> str:
    suffixes = {f.suffix.lower() for f in files}
    if suffixes <= set(_PARQUET_EXT):
        return f"read_parquet({_file_list(files)}, union_by_name = true)"
    if suffixes <= set(_JSON_EXT):
        return f"read_json_auto({_file_list(files)}, union_by_name = true)"
    opts = ["header = true", "all_varchar = true", "union_by_name = true"]
    names = {"delimiter": "delim", "quote": "quote", "escape": "escape", "encoding": "encoding"}
    for key, arg in names.items():
        if key in csv:
            opts.append(f"{arg} = {_lit(csv[key])}")
    if "skip" in csv:
        opts.append(f"skip = {int(csv['skip'])}")
    if "header" in csv:
        opts[0] = f"header = {str(csv['header']).lower() in ('true', 'yes', '1')}"
    return f"read_csv({_file_list(files)}, {', '.join(opts)})"


def _open_source(
    con: duckdb.DuckDBPyConnection,
    source_dir: Path,
    patterns: tuple[str, ...],
    csv: dict[str, str],
    issues: list[Issue],
    mapping: Mapping,
    line: int | None,
    what: str,
) -> _Source | None:
    files, missing = _resolve(source_dir, patterns)
    for pattern in missing:
        present = sorted(
            str(p.relative_to(source_dir)) for p in source_dir.rglob("*") if p.is_file()
        )
        issues.append(
            Issue(
                mapping.path,
                line,
                f"{what}: no file in {source_dir} matches '{pattern}'.{did_you_mean(pattern, present)}",
                "files: is a file name or glob relative to --source; the folder holds: "
                + (", ".join(present[:20]) or "no file"),
            )
        )
    if missing or not files:
        return None
    suffixes = {f.suffix.lower() for f in files}
    kinds = [
        k
        for k, ext in (("csv", _CSV_EXT), ("parquet", _PARQUET_EXT), ("json", _JSON_EXT))
        if suffixes & set(ext)
    ]
    if len(kinds) > 1 or not (suffixes <= set(_CSV_EXT + _PARQUET_EXT + _JSON_EXT)):
        issues.append(
            Issue(
                mapping.path,
                line,
                f"{what}: the files mix or use unsupported formats ({', '.join(sorted(suffixes))})",
                "point files: at one kind of file: .csv (.tsv, .txt), .parquet or .jsonl",
            )
        )
        return None
    reader = _reader_sql(files, csv)
    # Read each file set once into a temp table: the checks and the import query it often.
    sql = "src_" + hashlib.md5(reader.encode()).hexdigest()[:12]
    try:
        exists = con.execute(
            "select count(*) from duckdb_tables() where table_name = ?", [sql]
        ).fetchone()
        if not (exists and exists[0]):
            con.execute(f"create temp table {sql} as select * from {reader}")
        described = con.execute(f"describe {sql}").fetchall()
    except duckdb.Error as exc:
        issues.append(
            Issue(
                mapping.path,
                line,
                f"{what}: cannot read {', '.join(f.name for f in files)}: {_short(exc)}",
                "check csv: options (delimiter, encoding, skip) for this file",
            )
        )
        return None
    return _Source(patterns, files, sql, {row[0]: str(row[1]) for row in described})


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


# --------------------------------------------------------------------------- one part


@dataclass
class _PartPlan:
    """A part checked against its sources, ready to run."""

    part: PartSpec
    source: _Source
    joins: list[tuple[_Source, tuple[str, ...], str]]
    columns: dict[str, str]  # available (joined) source column -> type
    order_refs: list[tuple[str, str]]  # ("contract"|"source", name) per order_by item
    key_refs: list[tuple[str, str]]


def _cleaned_sql(
    source: _Source, null_values: tuple[str, ...], prefix: str = "", keep: tuple[str, ...] = ()
) -> str:
    """Select every column of the source with null markers turned into nulls."""
    markers = ", ".join(_lit(v.strip()) for v in null_values)
    cols = []
    for name, dtype in source.columns.items():
        alias = name if name in keep else prefix + name
        if markers and dtype.upper() == "VARCHAR":
            cols.append(
                f"case when trim({_q(name)}) in ({markers}) then null else {_q(name)} end as {_q(alias)}"
            )
        else:
            cols.append(f"{_q(name)} as {_q(alias)}")
    return f"select {', '.join(cols)} from {source.sql}"


def _filtered_sql(plan: _PartPlan) -> str:
    """Rows of the part's source, cleaned, joined and filtered, with their file order (__row)."""
    part = plan.part
    base = _cleaned_sql(plan.source, part.null_values)
    sql = f"select row_number() over () as __row, * from ({base}) as src"
    for i, (js, on, prefix) in enumerate(plan.joins):
        joined = _cleaned_sql(js, part.null_values, prefix, keep=on)
        cond = " and ".join(f"cur.{_q(k)} = j{i}.{_q(k)}" for k in on)
        extra = ", ".join(
            f"j{i}.{_q(prefix + c if c not in on else c)}" for c in js.columns if c not in on
        )
        sql = (
            f"select cur.*{', ' + extra if extra else ''} from ({sql}) as cur "
            f"left join ({joined}) as j{i} on {cond}"
        )
    if part.filter:
        sql = f"select * from ({sql}) as joined where ({part.filter})"
    return sql


def _value_sql(spec: ColumnSpec) -> str:
    """The raw value of a contract column, before type conversion."""
    if spec.kind == "value":
        return _lit(spec.value)
    expr = _q(spec.source or "") if spec.kind == "from" else f"({spec.expr})"
    if spec.map:
        text = f"trim(cast({expr} as varchar))"
        whens = " ".join(f"when {_lit(k.strip())} then {_lit(v)}" for k, v in spec.map.items())
        expr = f"case {text} {whens} else cast({expr} as varchar) end"
    if spec.default is not None:
        expr = f"coalesce(cast({expr} as varchar), {_lit(spec.default)})"
    return expr


def _formats(part: PartSpec, spec: ColumnSpec, col: Column) -> list[str]:
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


def _format_key(part: PartSpec, spec: ColumnSpec, col: Column) -> tuple[int | None, str]:
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


def _format_line(part: PartSpec, spec: ColumnSpec, col: Column) -> int | None:
    return _format_key(part, spec, col)[0]


def _typed_sql(x: str, in_type: str, col: Column, formats: list[str], tz: str) -> str:
    """A DuckDB expression giving `x` as the contract type (timestamps as naive UTC)."""
    t = in_type.upper()
    tzl = _lit(tz)
    if col.data_type == "timestamp":
        if t == "VARCHAR":
            tries = []
            for f in formats:
                parsed = f"try_strptime({x}, {_lit(f)})"
                tries.append(
                    f"timezone('UTC', {parsed})"
                    if ("%z" in f or "%Z" in f)
                    else f"timezone('UTC', timezone({tzl}, {parsed}))"
                )
            if tries:
                return f"coalesce({', '.join(tries)})"
            return (
                f"case when regexp_matches({x}, {_lit(_OFFSET_RE)}) "
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
            tries = [f"cast(try_strptime({x}, {_lit(f)}) as date)" for f in formats]
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
        true, false = ", ".join(map(_lit, _BOOL_TRUE)), ", ".join(map(_lit, _BOOL_FALSE))
        return f"case when {text} in ({true}) then true when {text} in ({false}) then false end"
    if col.data_type in ("integer", "bigint"):
        d = f"try_cast(trim(cast({x} as varchar)) as double)"
        return f"case when {d} = floor({d}) and abs({d}) < 9.0e15 then cast({d} as bigint) end"
    if col.data_type.startswith("decimal"):
        return f"try_cast(trim(cast({x} as varchar)) as {col.data_type})"
    return f"cast({x} as varchar)"


def _text_sql(typed: str, col: Column) -> str:
    """Contract text of a typed value."""
    if col.data_type == "timestamp":
        return f"strftime({typed}, {_lit(_TS_FMT)})"
    if col.data_type == "date":
        return f"strftime({typed}, '%Y-%m-%d')"
    if col.data_type == "boolean":
        return f"case when {typed} then 'true' when not {typed} then 'false' end"
    return f"cast({typed} as varchar)"


# --------------------------------------------------------------------------- checking


def _check_part(
    con: duckdb.DuckDBPyConnection,
    mapping: Mapping,
    table: Table,
    part: PartSpec,
    source_dir: Path,
    issues: list[Issue],
) -> _PartPlan | None:
    what = f"entity '{part.label}'"
    source = _open_source(
        con,
        source_dir,
        part.files,
        part.csv,
        issues,
        mapping,
        part.lines.get("files", part.line),
        what,
    )
    if source is None:
        return None
    available = dict(source.columns)
    file_names = ", ".join(f.name for f in source.files)
    joins = []
    for js in part.joins:
        jsrc = _open_source(
            con, source_dir, js.files, part.csv, issues, mapping, js.line, f"{what} join"
        )
        if jsrc is None:
            return None
        for key in js.on:
            for side, cols, name in (
                ("the part's", available, file_names),
                ("the joined", jsrc.columns, ", ".join(f.name for f in jsrc.files)),
            ):
                if key not in cols:
                    issues.append(
                        Issue(
                            mapping.path,
                            js.line,
                            f"{what}: join column '{key}' is not in {side} file {name}.{did_you_mean(key, cols)}",
                            f"join on a column both files have; {name} has: {_listing(cols)}",
                        )
                    )
                    return None
        for c in jsrc.columns:
            if c in js.on:
                continue
            if js.prefix + c in available:
                issues.append(
                    Issue(
                        mapping.path,
                        js.line,
                        f"{what}: the joined file's column '{c}' has the same name as a column of {file_names}",
                        "add prefix: (e.g. prefix: 'deal_') to the join and refer to it as "
                        f"'{'deal_' + c}'",
                    )
                )
                return None
            available[js.prefix + c] = jsrc.columns[c]
        joins.append((jsrc, js.on, js.prefix))

    ok = True
    for spec in part.columns.values():
        if spec.kind == "from" and spec.source not in available:
            ok = False
            issues.append(
                Issue(
                    mapping.path,
                    spec.line,
                    f"{what}: column '{spec.name}' reads source column '{spec.source}', which is not in "
                    f"{file_names}.{did_you_mean(spec.source or '', available)}",
                    f"write one of the file's columns (header: {_listing(available)}), "
                    "or use {value: ...} / {expr: ...}",
                )
            )
    mapped = set(part.columns)
    key_refs, order_refs = [], []
    if part.latest_by:
        for names, refs in ((part.latest_by.key, key_refs), (part.latest_by.order_by, order_refs)):
            for name in names:
                if name in available:
                    refs.append(("source", name))
                elif name in mapped:
                    refs.append(("contract", name))
                else:
                    ok = False
                    issues.append(
                        Issue(
                            mapping.path,
                            part.latest_by.line,
                            f"{what}: latest_by names '{name}', which is neither a column of {file_names} "
                            f"nor a mapped contract column.{did_you_mean(name, [*available, *mapped])}",
                            "name a source column or a contract column this entity maps",
                        )
                    )
    if not ok:
        return None
    plan = _PartPlan(part, source, joins, available, order_refs, key_refs)

    filtered = _filtered_sql(plan)
    try:
        con.execute(f"select * from ({filtered}) limit 0")
    except duckdb.Error as exc:
        issues.append(
            _sql_issue(
                mapping,
                part.lines.get("filter", part.line),
                what,
                "filter",
                part.filter or "",
                exc,
                available,
            )
        )
        return None
    for spec in part.columns.values():
        if spec.kind != "expr":
            continue
        try:
            con.execute(f"select {_value_sql(spec)} from ({filtered}) limit 0")
        except duckdb.Error as exc:
            ok = False
            issues.append(
                _sql_issue(
                    mapping,
                    spec.line,
                    what,
                    f"column '{spec.name}'",
                    spec.expr or "",
                    exc,
                    available,
                )
            )
    if not ok:
        return None
    by_line: dict[int | None, list[tuple[Issue, ColumnSpec]]] = {}
    for spec in part.columns.values():
        col = table.column(spec.name)
        if col.data_type not in ("date", "timestamp"):
            continue
        issue = _check_format(con, mapping, part, spec, col, filtered, what)
        if issue:
            by_line.setdefault(issue.line, []).append((issue, spec))
    for found in by_line.values():
        first, _ = found[0]
        if len(found) > 1:
            others = ", ".join(f"'{spec.name}' (line {spec.line})" for _, spec in found[1:])
            first = Issue(
                first.file, first.line, f"{first.message}; so do columns {others}", first.fix
            )
        issues.append(first)
    return plan


def _listing(columns: Any, limit: int = 40) -> str:
    names = list(columns)
    text = ", ".join(names[:limit])
    return text + (f", … ({len(names) - limit} more)" if len(names) > limit else "")


def _sql_issue(
    mapping: Mapping,
    line: int | None,
    what: str,
    where: str,
    sql: str,
    exc: BaseException,
    available: dict[str, str],
) -> Issue:
    message = _short(exc)
    hint = ""
    m = re.search(r'column "?([^"\s]+)"? not found', message, re.IGNORECASE) or re.search(
        r'Referenced column "([^"]+)"', message
    )
    if m:
        hint = did_you_mean(m.group(1), available)
    return Issue(
        mapping.path,
        line,
        f"{what}: {where}: the SQL '{sql}' does not run: {message}.{hint}",
        'write DuckDB SQL over the source columns; quote names with spaces or capitals in "double quotes"',
    )


def _check_format(
    con: duckdb.DuckDBPyConnection,
    mapping: Mapping,
    part: PartSpec,
    spec: ColumnSpec,
    col: Column,
    filtered: str,
    what: str,
) -> Issue | None:
    value = _value_sql(spec)
    try:
        in_type = _type_name(con, value, filtered)
    except duckdb.Error:
        return None  # reported by the expression check
    if in_type.upper() != "VARCHAR":
        return None
    formats = _formats(part, spec, col)
    typed = _typed_sql("v", in_type, col, formats, part.timezone)
    try:
        rows = con.execute(
            f"select v, {typed} is not null from (select {value} as v from ({filtered})) "
            f"where v is not null limit {FORMAT_SAMPLE}"
        ).fetchall()
    except duckdb.Error as exc:
        return Issue(
            mapping.path,
            _format_line(part, spec, col),
            f"{what}: column '{spec.name}': the format {formats} cannot be used: {_short(exc)}",
            "write a strptime format such as '%d/%m/%Y %H:%M'",
        )
    bad = [v for v, good in rows if not good]
    if not bad:
        return None
    sample = list(dict.fromkeys(v for v, _ in rows))
    guess = _guess_format(con, sample, col)
    source = f"source column '{spec.source}'" if spec.kind == "from" else "its expression"
    _, kind = _format_key(part, spec, col)
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
    return Issue(mapping.path, _format_line(part, spec, col), message, fix)


def _type_name(con: duckdb.DuckDBPyConnection, value: str, filtered: str) -> str:
    row = con.execute(f"describe select {value} as v from ({filtered})").fetchone()
    return str(row[1]) if row else "VARCHAR"


def _guess_format(con: duckdb.DuckDBPyConnection, sample: list[str], col: Column) -> str | None:
    values = ", ".join(_lit(v) for v in sample)
    for fmt in COMMON_FORMATS:
        if (
            col.data_type == "timestamp"
            and "%H" not in fmt
            and "%I" not in fmt
            and any(":" in v for v in sample)
        ):
            continue
        row = con.execute(
            f"select bool_and(try_strptime(v, {_lit(fmt)}) is not null) from unnest([{values}]) as t(v)"
        ).fetchone()
        if row and row[0]:
            return fmt
    return None


def check_import(mapping_path: Path, source_dir: Path, contract: Contract | None = None) -> Mapping:
    """Parse the mapping and check it against the source files; raise MappingError on any problem."""
    contract = contract or load_contract()
    mapping = load_mapping(mapping_path, contract)
    con = _connect()
    try:
        _plans(con, mapping, Path(source_dir), contract)
    finally:
        con.close()
    return mapping


def _plans(
    con: duckdb.DuckDBPyConnection, mapping: Mapping, source_dir: Path, contract: Contract
) -> dict[str, list[_PartPlan]]:
    issues: list[Issue] = []
    if not source_dir.is_dir():
        raise MappingError(
            [
                Issue(
                    mapping.path,
                    None,
                    f"the source folder {source_dir} does not exist",
                    "check --source",
                )
            ]
        )
    plans: dict[str, list[_PartPlan]] = {}
    for entity, parts in mapping.entities.items():
        table = contract.table(entity)
        for part in parts:
            plan = _check_part(con, mapping, table, part, source_dir, issues)
            if plan is not None:
                plans.setdefault(entity, []).append(plan)
    if issues:
        raise MappingError(issues)
    return plans


# --------------------------------------------------------------------------- applying


def _run_part(
    con: duckdb.DuckDBPyConnection, table: Table, plan: _PartPlan, name: str
) -> tuple[int, int, int, list[str]]:
    """Materialise one part as the temp table `name` (contract text columns + __part_row).

    Returns rows read, rows filtered out, rows superseded by latest_by, warnings.
    """
    part = plan.part
    filtered = _filtered_sql(plan)
    base = _cleaned_sql(plan.source, part.null_values)
    rows_read = con.execute(f"select count(*) from ({base})").fetchone()[0]  # type: ignore[index]

    proj = [f"{_value_sql(spec)} as {_q('c__' + col)}" for col, spec in part.columns.items()]
    proj += [
        f"{_q(ref)} as {_q(f'k__{i}')}"
        for i, (kind, ref) in enumerate(plan.key_refs)
        if kind == "source"
    ]
    proj += [
        f"{_q(ref)} as {_q(f'o__{i}')}"
        for i, (kind, ref) in enumerate(plan.order_refs)
        if kind == "source"
    ]
    con.execute(
        f"create or replace temp table {name}__p as select __row, {', '.join(proj)} from ({filtered})"
    )
    rows_kept = con.execute(f"select count(*) from {name}__p").fetchone()[0]  # type: ignore[index]
    types = {r[0]: str(r[1]) for r in con.execute(f"describe {name}__p").fetchall()}

    conv, bad, typed_of = [], [], {}
    for col_name, spec in part.columns.items():
        col = table.column(col_name)
        x = _q("c__" + col_name)
        typed = _typed_sql(
            x, types["c__" + col_name], col, _formats(part, spec, col), part.timezone
        )
        typed_of[col_name] = typed
        conv.append(f"coalesce({_text_sql(typed, col)}, cast({x} as varchar)) as {_q(col_name)}")
        bad.append(f"({x} is not null and ({typed}) is null) as {_q('bad__' + col_name)}")
    keys, orders = [], []
    for i, (kind, ref) in enumerate(plan.key_refs):
        keys.append(_q(f"k__{i}") if kind == "source" else f"cast({_q('c__' + ref)} as varchar)")
    for i, (kind, ref) in enumerate(plan.order_refs):
        if kind == "source":
            spec = _spec_reading(part, ref)
            if spec is not None and table.column(spec).data_type != "varchar":
                orders.append(f"{typed_of[spec]} desc nulls last")
            else:
                o = _q(f"o__{i}")
                orders += [
                    f"try_cast(cast({o} as varchar) as double) desc nulls last",
                    f"cast({o} as varchar) desc nulls last",
                ]
        else:
            orders.append(f"{typed_of[ref]} desc nulls last")
    rank = "1"
    if keys:
        rank = f"row_number() over (partition by {', '.join(keys)} order by {', '.join([*orders, '__row desc'])})"
    con.execute(
        f"create or replace temp table {name} as select __row, {rank} as __rank, "
        f"{', '.join(conv + bad)} from {name}__p"
    )
    superseded = con.execute(f"select count(*) from {name} where __rank > 1").fetchone()[0]  # type: ignore[index]
    con.execute(f"delete from {name} where __rank > 1")
    # Warn about the rows written only (not about versions latest_by dropped).
    warnings = []
    for col_name, spec in part.columns.items():
        col = table.column(col_name)
        flag = _q("bad__" + col_name)
        n, examples = con.execute(
            f"select count(*), list(distinct {_q(col_name)}) filter (where {flag})[1:{EXAMPLES}] "
            f"from {name} where {flag}"
        ).fetchone()  # type: ignore[misc]
        if n:
            what = (
                "a " + col.data_type
                if col.data_type in ("date", "timestamp", "boolean")
                else col.data_type
            )
            fix = (
                f"fix the format on line {_format_line(part, spec, col)}"
                if col.data_type in ("date", "timestamp")
                else f"fix the values or the mapping on line {spec.line}"
            )
            warnings.append(
                f"{part.label}.{col_name}: {n:,} value(s) are not {what} "
                f"(e.g. {', '.join(repr(e) for e in examples)}): written as they are, the loader "
                f"will quarantine those rows; {fix}"
            )
    con.execute(f"drop table {name}__p")
    return rows_read, rows_read - rows_kept, superseded, warnings


def _keep_first_part(
    con: duckdb.DuckDBPyConnection, final: str, table: Table, warnings: list[str]
) -> int:
    """When several parts give the same key, keep the rows of the part listed first."""
    pk = _q(table.primary_key)
    before = con.execute(f"select count(*) from {final}").fetchone()[0]  # type: ignore[index]
    con.execute(
        f"create or replace temp table {final} as select * exclude (__first) from ("
        f"select *, min(__part) over (partition by {pk}) as __first from {final}) "
        f"where __part = __first or {pk} is null"
    )
    removed = int(before - con.execute(f"select count(*) from {final}").fetchone()[0])  # type: ignore[index]
    if removed:
        warnings.append(
            f"{table.name}: {removed:,} row(s) repeat a {table.primary_key} that an earlier part of the "
            "mapping already gives; the earlier part's row is kept (reorder the parts to change that)"
        )
    return removed


def _spec_reading(part: PartSpec, source_col: str) -> str | None:
    """The contract column that takes `source_col` as it is (no map), if any."""
    for name, spec in part.columns.items():
        if spec.kind == "from" and spec.source == source_col and not spec.map:
            return name
    return None


def _contract_warnings(
    con: duckdb.DuckDBPyConnection, table: Table, name: str, columns: list[str]
) -> list[str]:
    """What the loader will reject: blank required values, values outside accepted_values, duplicate keys."""
    out = []
    for col_name in columns:
        col = table.column(col_name)
        c = _q(col_name)
        if col.required:
            n = con.execute(
                f"select count(*) from {name} where {c} is null or trim({c}) = ''"
            ).fetchone()[0]  # type: ignore[index]
            if n:
                out.append(
                    f"{table.name}.{col_name}: {n:,} row(s) have no value for this required column; "
                    "the loader will quarantine them (map a default: or an expr: to fill it)"
                )
        if col.accepted_values:
            accepted = ", ".join(_lit(v) for v in col.accepted_values)
            n, examples = con.execute(
                f"select count(*), list(distinct {c})[1:{EXAMPLES}] from {name} "
                f"where {c} is not null and {c} not in ({accepted})"
            ).fetchone()  # type: ignore[misc]
            if n:
                out.append(
                    f"{table.name}.{col_name}: {n:,} row(s) have values the contract does not accept "
                    f"({', '.join(repr(e) for e in examples)}); accepted: {', '.join(col.accepted_values)}. "
                    "Translate them with a map:"
                )
    pk = table.primary_key
    if pk in columns:
        n = con.execute(
            f"select count(*) from (select {_q(pk)} from {name} group by {_q(pk)} having count(*) > 1)"
        ).fetchone()[0]  # type: ignore[index]
        if n:
            out.append(
                f"{table.name}.{pk}: {n:,} key(s) occur on several rows; the loader rejects duplicate keys "
                "within a file: add latest_by: {key: ...} to keep one row per key"
            )
    return out


def import_export(
    mapping_path: Path,
    source_dir: Path,
    workdir: Path | None = None,
    progress: Progress | None = None,
    contract: Contract | None = None,
) -> ImportResult:
    """Apply a mapping to the export in `source_dir`; write contract files into `<workdir>/landing`.

    Raises MappingError (every problem, with file, line and fix) before writing
    anything when the mapping does not fit the contract or the source files.
    Entities the mapping does not name are not written (the loader creates them empty).
    """
    contract = contract or load_contract()
    mapping_path = Path(mapping_path).resolve()
    source_dir = Path(source_dir).resolve()
    workdir = Path(workdir).resolve() if workdir else default_workdir(mapping_path)
    mapping = load_mapping(mapping_path, contract)
    landing = workdir / "landing"
    con = _connect()
    try:
        plans = _plans(con, mapping, source_dir, contract)
        result = ImportResult(
            mapping=str(mapping_path),
            source_dir=str(source_dir),
            workdir=str(workdir),
            landing_dir=str(landing),
            export_date="",
        )
        total = len(plans)
        finals: dict[str, tuple[str, list[str]]] = {}
        for step, (entity, entity_plans) in enumerate(plans.items()):
            if progress:
                progress(f"import {entity}", step, total)
            table = contract.table(entity)
            info = EntityImport(entity=entity)
            names = []
            for i, plan in enumerate(entity_plans):
                name = f"part_{entity}_{i}"
                read, filtered_out, superseded, warnings = _run_part(con, table, plan, name)
                info.rows_read += read
                info.rows_filtered_out += filtered_out
                info.rows_superseded += superseded
                result.warnings += warnings
                names.append(name)
            columns = [
                c for c in table.column_names if any(c in p.part.columns for p in entity_plans)
            ]
            selects = [
                f"select {i} as __part, __row, "
                + ", ".join(
                    _q(c)
                    if c in entity_plans[i].part.columns
                    else f"cast(null as varchar) as {_q(c)}"
                    for c in columns
                )
                + f" from {n}"
                for i, n in enumerate(names)
            ]
            final = f"final_{entity}"
            con.execute(f"create or replace temp table {final} as {' union all '.join(selects)}")
            if len(names) > 1 and table.primary_key in columns:
                info.rows_superseded += _keep_first_part(con, final, table, result.warnings)
            info.rows_written = con.execute(f"select count(*) from {final}").fetchone()[0]  # type: ignore[index]
            info.columns = columns
            result.warnings += _contract_warnings(con, table, final, columns)
            result.entities[entity] = info
            finals[entity] = (final, columns)
        result.export_date = _export_date(con, contract, finals)
        _clear_landing(landing, contract)
        for entity, (final, columns) in finals.items():
            out_dir = landing / entity
            out_dir.mkdir(parents=True, exist_ok=True)
            target = out_dir / f"{entity}__{BATCH}_{result.export_date}.csv"
            tmp = out_dir / f".{target.name}.tmp"  # hidden: the loader skips it
            cols = ", ".join(_q(c) for c in columns)
            con.execute(
                f"copy (select {cols} from {final} order by __part, __row) to {_lit(str(tmp))} "
                "(format csv, header true)"
            )
            tmp.replace(target)
            result.entities[entity].file = str(target)
        if progress:
            progress("import", total, total)
    finally:
        con.close()
    (workdir / "import_report.json").write_text(json.dumps(result.to_dict(), indent=2) + "\n")
    return result


def _export_date(
    con: duckdb.DuckDBPyConnection, contract: Contract, finals: dict[str, tuple[str, list[str]]]
) -> str:
    """The latest day the export's records were changed (deterministic file names)."""
    latest: list[str] = []
    for entity, (final, columns) in finals.items():
        table = contract.table(entity)
        cols = (
            [table.version_column]
            if table.version_column in columns
            else [c for c in columns if table.column(c).data_type in ("timestamp", "date")]
        )
        for c in cols:
            row = con.execute(
                f"select max(try_cast(left({_q(c)}, 10) as date)) from {final}"
            ).fetchone()
            if row and row[0]:
                latest.append(row[0].isoformat())
    return max(latest) if latest else "1970-01-01"


def _clear_landing(landing: Path, contract: Contract) -> None:
    """Remove the files a previous import into this landing folder wrote."""
    for name in contract.names:
        folder = landing / name
        if not folder.is_dir():
            continue
        for f in folder.glob(f"{name}__{BATCH}_*.csv"):
            f.unlink()
        if not any(folder.iterdir()):
            shutil.rmtree(folder)
