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
import yaml

from crm_warehouse.contract import Column, Contract, Table, load_contract
from crm_warehouse.mapping import (
    COMMON_FORMATS,
    TYPED_REF_RE,
    ColumnSpec,
    Issue,
    Mapping,
    MappingError,
    NumberFormat,
    PartSpec,
    did_you_mean,
    load_mapping_partial,
    path_problem,
    seed_info,
    sql_expression_problem,
)
from crm_warehouse.settings import Settings, configure_duckdb, project_root, sql_literal

Progress = Callable[[str, int, int], None]

#: Batch number of the files an import writes (one batch per import).
BATCH = "b01"
#: Folder under landing/ for the mapping's seed_rows: (hidden: the loader skips it).
SEED_ROWS_DIR = ".seed_rows"
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
    #: The mapping's seed_rows: (seed -> rows) and the files they were written to.
    seed_rows: dict[str, list[dict[str, str]]] = field(default_factory=dict)
    seed_row_files: dict[str, str] = field(default_factory=dict)

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


def _connect(allowed: list[Path]) -> duckdb.DuckDBPyConnection:
    """The import's DuckDB connection, sandboxed: it can reach the `allowed` folders only.

    External access is off (no file outside those folders, no extension to
    install or load, no network, no attach) and the configuration is locked,
    so no SQL run on it can turn that back on. The mapping's SQL is checked
    too (crm_warehouse.mapping.sql_expression_problem): this is the second wall.
    """
    con = duckdb.connect(":memory:")
    configure_duckdb(con, Path(tempfile.gettempdir()) / "crm-import-spill")
    folders = ", ".join(_lit(str(Path(f).resolve()).rstrip("/") + "/") for f in allowed)
    con.execute(f"set allowed_directories = [{folders}]")
    con.execute("set enable_external_access = false")
    con.execute("set lock_configuration = true")
    return con


# --------------------------------------------------------------------------- reading sources


@dataclass
class _Source:
    """The files of one part (or join) and the SQL that reads them."""

    patterns: tuple[str, ...]
    files: list[Path]
    sql: str
    columns: dict[str, str]  # name -> DuckDB type


def _resolve(
    source_dir: Path, patterns: tuple[str, ...]
) -> tuple[list[Path], list[str], list[str]]:
    """Files matching the patterns, the patterns matching none, and why files were refused.

    Every file must really be inside `source_dir` (resolved, symlinks
    followed): a pattern that could leave it, or a symlink (to a file or a
    folder) pointing outside it, is refused, never read.
    """
    root = source_dir.resolve()
    files: list[Path] = []
    missing: list[str] = []
    refused: list[str] = []
    for pattern in patterns:
        problem = path_problem(pattern)
        if problem:
            refused.append(f"'{pattern}' is refused: {problem}")
            continue
        try:
            hits = sorted(p for p in root.glob(pattern) if p.is_file())
        except (ValueError, NotImplementedError, OSError) as exc:
            refused.append(f"'{pattern}' is not a usable glob: {_short(exc)}")
            continue
        inside = []
        for hit in hits:
            real = hit.resolve()
            if real.is_relative_to(root):
                inside.append(hit)
            else:
                refused.append(
                    f"'{hit.relative_to(root)}' (matched by '{pattern}') is a symlink to {real}, "
                    "outside the --source folder: refused"
                )
        if not hits:
            missing.append(pattern)
        files += [h for h in inside if h not in files]
    return files, missing, refused


def _reader_sql(files: list[Path], csv: dict[str, str], trimmed: bool = False) -> str:
    """The DuckDB reader of the files; `trimmed` files are already cut and in UTF-8."""
    suffixes = {f.suffix.lower() for f in files}
    if suffixes <= set(_PARQUET_EXT):
        return f"read_parquet({_file_list(files)}, union_by_name = true)"
    if suffixes <= set(_JSON_EXT):
        return f"read_json_auto({_file_list(files)}, union_by_name = true)"
    opts = ["header = true", "all_varchar = true", "union_by_name = true"]
    names = {"delimiter": "delim", "quote": "quote", "escape": "escape", "encoding": "encoding"}
    for key, arg in names.items():
        if key in csv and not (trimmed and key == "encoding"):
            opts.append(f"{arg} = {_lit(csv[key])}")
    if "skip_header_lines" in csv and not trimmed:
        opts.append(f"skip = {int(csv['skip_header_lines'])}")
    if "header" in csv:
        opts[0] = f"header = {str(csv['header']).lower() in ('true', 'yes', '1')}"
    return f"read_csv({_file_list(files)}, {', '.join(opts)})"


def _cuts_lines(csv: dict[str, str]) -> bool:
    """Whether the csv options cut a report's footer (done in Python, DuckDB cannot)."""
    stop = str(csv.get("stop_at_blank_line", "false")).strip().lower() in (
        "true",
        "yes",
        "y",
        "t",
        "1",
    )
    return stop or int(csv.get("skip_footer_lines", "0") or 0) > 0


def _trim_report(path: Path, csv: dict[str, str], out: Path) -> None:
    """Write `path` without its report header lines and footer into `out` (UTF-8).

    skip_header_lines drops the first lines; skip_footer_lines the last ones
    (blank lines at the very end of the file not counted); stop_at_blank_line
    ends the data at the first blank line after the header row. A line break
    inside a quoted value is part of the value, not a blank line.
    """
    encoding = csv.get("encoding", "utf-8")
    if encoding.lower().replace("_", "-") in ("utf-8", "utf8"):
        encoding = "utf-8-sig"
    text = path.read_text(encoding=encoding, errors="strict")
    lines = text.splitlines(keepends=True)
    lines = lines[int(csv.get("skip_header_lines", "0") or 0) :]
    footer = int(csv.get("skip_footer_lines", "0") or 0)
    if footer:
        while lines and not lines[-1].strip():
            lines.pop()
        lines = lines[: max(len(lines) - footer, 0)]
    if str(csv.get("stop_at_blank_line", "")).strip().lower() in ("true", "yes", "y", "t", "1"):
        quote = csv.get("quote", '"') or '"'
        inside = False
        for i, line in enumerate(lines):
            if i > 0 and not inside and not line.strip():
                lines = lines[:i]
                break
            if line.count(quote) % 2:
                inside = not inside
    out.write_text("".join(lines), encoding="utf-8", newline="")


def _open_source(
    con: duckdb.DuckDBPyConnection,
    source_dir: Path,
    patterns: tuple[str, ...],
    csv: dict[str, str],
    issues: list[Issue],
    mapping: Mapping,
    line: int | None,
    what: str,
    scratch: Path,
) -> _Source | None:
    files, missing, refused = _resolve(source_dir, patterns)
    for reason in refused:
        issues.append(
            Issue(
                mapping.path,
                line,
                f"{what}: {reason}; a mapping reads only files inside {source_dir.resolve()}",
                "copy the file into the --source folder (a symlink must point inside it), "
                "or point --source at the folder holding the files",
            )
        )
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
    if missing or refused or not files:
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
    cut = "csv" in kinds and _cuts_lines(csv)
    reader = _reader_sql(files, csv)
    # Read each file set once into a temp table: the checks and the import query it often.
    sql = "src_" + hashlib.md5((reader + json.dumps(csv, sort_keys=True)).encode()).hexdigest()[:12]
    try:
        exists = con.execute(
            "select count(*) from duckdb_tables() where table_name = ?", [sql]
        ).fetchone()
        if not (exists and exists[0]):
            if cut:
                with tempfile.TemporaryDirectory(prefix="trim-", dir=scratch) as tmp:
                    trimmed = []
                    for i, f in enumerate(files):
                        target = Path(tmp) / f"{i:04d}_{f.name}"
                        _trim_report(f, csv, target)
                        trimmed.append(target)
                    con.execute(
                        f"create temp table {sql} as select * from "
                        f"{_reader_sql(trimmed, csv, trimmed=True)}"
                    )
            else:
                con.execute(f"create temp table {sql} as select * from {reader}")
        described = con.execute(f"describe {sql}").fetchall()
    except (duckdb.Error, UnicodeDecodeError) as exc:
        issues.append(
            Issue(
                mapping.path,
                line,
                f"{what}: cannot read {', '.join(f.name for f in files)}: {_short(exc)}",
                "check csv: options (delimiter, encoding, skip_header_lines) for this file; "
                "a report export with lines above its header or a footer below its data needs "
                "csv: {skip_header_lines: N, skip_footer_lines: N} or csv: {stop_at_blank_line: true}",
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
    joins: list[tuple[_Source, tuple[tuple[str, str], ...], str]]  # source, key pairs, prefix
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


def _filtered_sql(plan: _PartPlan, with_filter: bool = True) -> str:
    """Rows of the part's source, cleaned, joined and filtered, with their file order (__row).

    The joined file's key columns are not added: they equal the part's.
    """
    part = plan.part
    base = _cleaned_sql(plan.source, part.null_values)
    sql = f"select row_number() over () as __row, * from ({base}) as src"
    for i, (js, pairs, prefix) in enumerate(plan.joins):
        right = [r for _, r in pairs]
        joined = _cleaned_sql(js, part.null_values, prefix, keep=tuple(right))
        cond = " and ".join(f"cur.{_q(left)} = j{i}.{_q(r)}" for left, r in pairs)
        extra = ", ".join(f"j{i}.{_q(prefix + c)}" for c in js.columns if c not in right)
        sql = (
            f"select cur.*{', ' + extra if extra else ''} from ({sql}) as cur "
            f"left join ({joined}) as j{i} on {cond}"
        )
    if part.filter and with_filter:
        sql = f"select * from ({sql}) as joined where ({part.filter})"
    return sql


_ROW_NUMBER_RE = re.compile(r"\brow_number\s*\(\s*\)\s*over\s*\(([^()]*)\)", re.IGNORECASE)


def _in_file_order(sql: str) -> str:
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


def _with_typed(sql: str) -> str:
    """`typed.<column>` in an expression -> the column holding that contract column's typed value."""
    return TYPED_REF_RE.sub(lambda m: _q("t__" + (m.group(1) or m.group(2))), sql)


def _value_sql(spec: ColumnSpec, with_when: bool = True) -> str:
    """The raw value of a contract column, before type conversion.

    The order: the source (column, constant or expression), the value map,
    the default, then when: (null where its condition is not true).
    """
    if spec.kind == "value":
        expr = _lit(spec.value)
    else:
        expr = (
            _q(spec.source or "")
            if spec.kind == "from"
            else f"({_with_typed(_in_file_order(spec.expr or ''))})"
        )
        if spec.map:
            text = f"trim(cast({expr} as varchar))"
            whens = " ".join(f"when {_lit(k.strip())} then {_lit(v)}" for k, v in spec.map.items())
            expr = f"case {text} {whens} else cast({expr} as varchar) end"
        if spec.default is not None:
            expr = f"coalesce(cast({expr} as varchar), {_lit(spec.default)})"
    if spec.when and with_when:
        expr = f"case when ({_when_sql(spec)}) then {expr} end"
    return expr


def _when_sql(spec: ColumnSpec) -> str:
    return _with_typed(_in_file_order(spec.when or "true"))


def _stages(
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
    cols = [f"{_value_sql(s)} as {_q('c__' + n)}" for n, s in base.items()]
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
            _typed_sql(
                _q("c__" + ref),
                types.get("c__" + ref, "VARCHAR"),
                col,
                _formats(part, spec, col),
                part.timezone,
                spec.numbers,
            )
            + f" as {_q('t__' + ref)}"
        )
    over = f"select *{''.join(', ' + t for t in typed)} from ({sql}) as b"
    cols = [f"{_value_sql(s)} as {_q('c__' + n)}" for n, s in dep.items()]
    return f"select *, {', '.join(cols)} from ({over}) as t", over


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
        lead = _lit(r"^([+-]?)\s*(?:" + syms + r")\s*")
        trail = _lit(r"\s*(?:" + syms + r")$")
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
    pattern = _lit(r"^([+-]?)(" + whole + r")?(?:" + dec + r"(\d+))?$")
    sign = f"regexp_extract({t2}, {pattern}, 1)"
    int_part = f"coalesce(nullif(regexp_extract({t2}, {pattern}, 2), ''), '0')"
    if th:
        int_part = f"regexp_replace({int_part}, {_lit(th)}, '', 'g')"
    frac = f"coalesce(nullif(regexp_extract({t2}, {pattern}, 3), ''), '0')"
    ok = f"(regexp_full_match({t2}, {pattern}) and regexp_matches({t2}, '\\d'))"
    number = f"cast({sign} || {int_part} || '.' || {frac} as decimal(38, 10))"
    return (
        f"case when {ok} then {number} * (case when {paren} then -1 else 1 end) "
        f"* (case when {pct} then 0.01 else 1 end) end"
    )


def _typed_sql(
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
    scratch: Path,
) -> _PartPlan | None:
    """Check one part against its files; append every problem found to `issues`.

    One problem does not hide another: a source column missing from the header
    leaves out that column only, and the others' expressions, formats and
    numbers are still checked. Returns the plan when the part can run.
    """
    what = f"entity '{part.label}'"
    before = len(issues)
    source = _open_source(
        con,
        source_dir,
        part.files,
        part.csv,
        issues,
        mapping,
        part.lines.get("files", part.line),
        what,
        scratch,
    )
    if source is None:
        return None
    available = dict(source.columns)
    file_names = ", ".join(f.name for f in source.files)
    joins = []
    joins_ok = True
    header_known = True  # every joined file opened: all available columns are known
    for js in part.joins:
        jsrc = _open_source(
            con, source_dir, js.files, part.csv, issues, mapping, js.line, f"{what} join", scratch
        )
        if jsrc is None:
            joins_ok = header_known = False
            continue
        jname = ", ".join(f.name for f in jsrc.files)
        pair_ok = True
        for left, right in js.pairs:
            for side, key, cols, name in (
                ("the part's", left, available, file_names),
                ("the joined", right, jsrc.columns, jname),
            ):
                if key not in cols:
                    pair_ok = False
                    issues.append(
                        Issue(
                            mapping.path,
                            js.line,
                            f"{what}: join column '{key}' is not in {side} file {name}.{did_you_mean(key, cols)}",
                            f"join on columns the files have ({name} has: {_listing(cols)}); "
                            "different names: on: {Part Column: Joined Column}",
                        )
                    )
        rights = [r for _, r in js.pairs]
        for c in jsrc.columns:
            if c in rights:
                continue
            if js.prefix + c in available:
                pair_ok = False
                issues.append(
                    Issue(
                        mapping.path,
                        js.line,
                        f"{what}: the joined file's column '{c}' has the same name as a column of {file_names}",
                        "add prefix: (e.g. prefix: 'deal_') to the join and refer to it as "
                        f"'{'deal_' + c}'",
                    )
                )
                break
            available[js.prefix + c] = jsrc.columns[c]
        if pair_ok:
            joins.append((jsrc, js.pairs, js.prefix))
        else:
            joins_ok = False

    specs = dict(part.columns)
    for name in _refused_after_rewrite(mapping, part, what, issues):
        specs.pop(name)
    missing = {n: s for n, s in specs.items() if s.kind == "from" and s.source not in available}
    if missing and len(source.columns) == 1 and len({s.source for s in missing.values()}) > 1:
        # The whole header is one column: a report's title lines or footer, or another delimiter.
        (only,) = source.columns
        names = sorted({s.source or "" for s in missing.values()})
        issues.append(
            Issue(
                mapping.path,
                part.lines.get("files", part.line),
                f"{what}: {file_names} was read as a single column ('{only[:60]}'), so none of "
                f"the {len(names)} source columns the mapping reads ({', '.join(names)}) is found",
                "a report export with lines above its header or a footer below its data (a "
                "Salesforce report's 'Confidential Information' and 'Generated By' lines) needs "
                "csv: {skip_header_lines: N} and csv: {skip_footer_lines: N} or "
                "{stop_at_blank_line: true}; a file separated by ';' or tabs needs csv: {delimiter: ';'}",
            )
        )
    elif header_known:
        for spec in missing.values():
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
    for n in missing:
        specs.pop(n)
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
                    issues.append(
                        Issue(
                            mapping.path,
                            part.latest_by.line,
                            f"{what}: latest_by names '{name}', which is neither a column of {file_names} "
                            f"nor a mapped contract column.{did_you_mean(name, [*available, *mapped])}",
                            "name a source column or a contract column this entity maps",
                        )
                    )
    if not joins_ok:
        return None
    plan = _PartPlan(part, source, joins, available, order_refs, key_refs)

    # SQL: the filter, then every expression and when: condition, each on its own.
    sampled = True
    filtered = _filtered_sql(plan)
    try:
        con.execute(f"select * from ({filtered}) limit 0")
    except duckdb.Error as exc:
        sampled = False  # values are not sampled through a broken filter
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
        filtered = _filtered_sql(plan, with_filter=False)
    for spec in list(specs.values()):
        if spec.typed_refs and any(r not in specs or specs[r].typed_refs for r in spec.typed_refs):
            specs.pop(spec.name)  # reads a column that has a problem (reported) of its own
            continue
        checks = []
        if spec.kind == "expr":
            checks.append((f"column '{spec.name}'", spec.expr or "", _value_sql(spec, False)))
        if spec.when:
            checks.append((f"column '{spec.name}' when:", spec.when, _when_sql(spec)))
        rel = filtered
        if spec.typed_refs:
            refs = {r: specs[r] for r in spec.typed_refs}
            _, over = _stages(con, table, part, filtered, {**refs, spec.name: spec})
            rel = over or filtered
        for where, text, sql in checks:
            try:
                con.execute(f"select {sql} from ({rel}) limit 0")
            except duckdb.Error as exc:
                specs.pop(spec.name, None)
                issues.append(_sql_issue(mapping, spec.line, what, where, text, exc, available))
    if not sampled:
        return None if len(issues) > before else plan
    by_line: dict[int | None, list[tuple[Issue, ColumnSpec]]] = {}
    staged: tuple[str, str | None] | None = None
    for spec in specs.values():
        col = table.column(spec.name)
        if col.data_type not in ("date", "timestamp") and not col.is_numeric:
            continue
        rel = filtered
        if spec.typed_refs:
            staged = staged or _stages(con, table, part, filtered, specs)
            rel = staged[1] or filtered
        if col.is_numeric:
            issue = _check_number(con, mapping, part, spec, col, rel, what)
        else:
            issue = _check_format(con, mapping, part, spec, col, rel, what)
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
    return None if len(issues) > before else plan


def _refused_after_rewrite(
    mapping: Mapping, part: PartSpec, what: str, issues: list[Issue]
) -> list[str]:
    """Columns whose SQL, as the import runs it, is not one sandboxed expression.

    The mapping check parsed the text as written; the import rewrites it
    (`typed.<column>`, `row_number() over ()` in file order). That rewrite
    must not change what the SQL may do, so the text it produces is checked
    again before anything runs it.
    """
    refused = []
    for name, spec in part.columns.items():
        for where, text, ran in (
            ("expr:", spec.expr, _with_typed(_in_file_order(spec.expr or ""))),
            ("when:", spec.when, _when_sql(spec)),
        ):
            problem = sql_expression_problem(ran) if text else None
            if problem:
                refused.append(name)
                issues.append(
                    Issue(
                        mapping.path,
                        spec.line,
                        f"{what}: {where} of column '{name}': the SQL '{text}' is refused once "
                        f"typed. references and row_number() are rewritten: {problem}",
                        "write typed.<column> and row_number() over (...) outside quotes",
                    )
                )
                break
    return refused


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
        values = ", ".join(_lit(v) for v in sample)
        typed = _typed_sql("v", "VARCHAR", col, [], "UTC", nf)
        row = con.execute(
            f"select bool_and(({typed}) is not null) from unnest([{values}]) as t(v)"
        ).fetchone()
        if row and row[0]:
            return nf
    return None


def _check_number(
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
    value = _value_sql(spec)
    try:
        in_type = _type_name(con, value, filtered)
    except duckdb.Error:
        return None  # reported by the expression check
    if in_type.upper() != "VARCHAR":
        return None
    # The format is checked, not the data: 2.5 in a whole-number column is a
    # value the loader quarantines (the import warns), not a numbers: problem.
    col = Column(col.name, "decimal(38, 10)", col.description)
    typed = _typed_sql("v", in_type, col, [], part.timezone, spec.numbers)
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


@dataclass
class CheckResult:
    """A mapping that fits the contract and the files, and what the build will warn about."""

    mapping: Mapping
    warnings: list[str] = field(default_factory=list)


def check_export(
    mapping_path: Path, source_dir: Path, contract: Contract | None = None
) -> CheckResult:
    """Check the mapping against the contract and the files, every problem in one pass.

    Raises MappingError listing them all (structure, header, SQL, date and number
    formats). When there is none, returns the mapping and warnings: raw stage
    names and lead sources the seeds do not know, and references the build's
    relationship tests will find missing.
    """
    contract = contract or load_contract()
    mapping, issues = load_mapping_partial(Path(mapping_path), contract)
    if mapping is None:
        raise MappingError(issues)
    source_dir = Path(source_dir).resolve()
    with tempfile.TemporaryDirectory(prefix="crm-import-") as scratch:
        con = _connect([source_dir, Path(scratch)])
        try:
            plans = _plans(con, mapping, source_dir, contract, Path(scratch), issues)
            rels = {
                entity: [
                    (_check_relation(con, contract.table(entity), p), list(p.part.columns))
                    for p in entity_plans
                ]
                for entity, entity_plans in plans.items()
            }
            warnings = _cross_warnings(con, contract, mapping, rels)
            if any(p.part.latest_by for ps in plans.values() for p in ps):
                # The check does not run latest_by: its counts are of the export's rows.
                warnings = [
                    f"{w} (counted in the export's rows, before latest_by keeps one per key)"
                    for w in warnings
                ]
        finally:
            con.close()
    return CheckResult(mapping, warnings)


def check_import(mapping_path: Path, source_dir: Path, contract: Contract | None = None) -> Mapping:
    """Parse the mapping and check it against the source files; raise MappingError on any problem."""
    return check_export(mapping_path, source_dir, contract).mapping


def _check_relation(con: duckdb.DuckDBPyConnection, table: Table, plan: _PartPlan) -> str:
    """The part's rows (before latest_by) with each mapped contract column as text."""
    staged, _ = _stages(con, table, plan.part, _filtered_sql(plan), plan.part.columns)
    cols = ", ".join(f"cast({_q('c__' + c)} as varchar) as {_q(c)}" for c in plan.part.columns)
    return f"select {cols} from ({staged})"


def _plans(
    con: duckdb.DuckDBPyConnection,
    mapping: Mapping,
    source_dir: Path,
    contract: Contract,
    scratch: Path,
    issues: list[Issue] | None = None,
) -> dict[str, list[_PartPlan]]:
    """Check every part against its files; raise MappingError with `issues` and all found."""
    issues = list(issues or [])
    if not source_dir.is_dir():
        raise MappingError(
            [
                *issues,
                Issue(
                    mapping.path,
                    None,
                    f"the source folder {source_dir} does not exist",
                    "check --source",
                ),
            ]
        )
    plans: dict[str, list[_PartPlan]] = {}
    for entity, parts in mapping.entities.items():
        table = contract.table(entity)
        for part in parts:
            plan = _check_part(con, mapping, table, part, source_dir, issues, scratch)
            if plan is not None:
                plans.setdefault(entity, []).append(plan)
    if issues:
        raise MappingError(issues)
    return plans


# --------------------------------------------------------------------------- warnings

#: Contract columns whose raw values the seeds translate: (entity, column) -> seed.
SEEDED_COLUMNS = {
    ("opportunities", "stage_name"): "stages",
    ("opportunity_stage_history", "stage_name"): "stages",
    ("leads", "lead_source"): "lead_sources",
}
_SEED_EFFECT = {
    "stages": "their deals count as neither open nor closed",
    "lead_sources": "their leads have no canonical source or channel group",
}
_STAGING_MODELS = Path("models/staging/crm/_stg_crm__models.yml")


def _relationships() -> list[tuple[str, str, str, str]]:
    """(entity, column, referenced entity, referenced column) of the staging relationship tests."""
    path = project_root() / _STAGING_MODELS
    doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    out = []
    for model in doc.get("models", []):
        entity = str(model.get("name", "")).removeprefix("stg_crm__")
        for col in model.get("columns", []):
            for test in col.get("data_tests") or []:
                # relationships_where_present: a reference to an absent entity passes
                # the build and is counted in dq_missing_references
                name = (
                    next(
                        (n for n in ("relationships_where_present", "relationships") if n in test),
                        None,
                    )
                    if isinstance(test, dict)
                    else None
                )
                if name is None:
                    continue
                body = test[name]
                args = body.get("arguments", body)
                m = re.search(r"ref\('stg_crm__(\w+)'\)", str(args.get("to", "")))
                if m:
                    out.append((entity, col["name"], m.group(1), str(args.get("field"))))
    return out


def _cross_warnings(
    con: duckdb.DuckDBPyConnection,
    contract: Contract,
    mapping: Mapping,
    rels: dict[str, list[tuple[str, list[str]]]],
) -> list[str]:
    """Raw values the seeds do not know, and references to records the export lacks.

    `rels` gives, per entity, SQL relations whose columns are contract columns
    (text). Warnings only: the build runs, but these rows are reported.
    """
    out: list[str] = []

    def union(entity: str, column: str) -> str | None:
        parts = [sql for sql, cols in rels.get(entity, []) if column in cols]
        if not parts:
            return None
        return " union all ".join(f"select {_q(column)} as v from ({sql})" for sql in parts)

    for (entity, column), seed in SEEDED_COLUMNS.items():
        values = union(entity, column)
        if values is None:
            continue
        info = seed_info(seed)
        known = set(info.rows) | {r[info.columns[0]] for r in mapping.seed_rows.get(seed, [])}
        found = con.execute(
            f"select lower(trim(v)) as k, min(v), count(*) from ({values}) "
            "where v is not null and trim(v) <> '' group by k order by count(*) desc, k"
        ).fetchall()
        unknown = [(ex, n) for k, ex, n in found if k not in known]
        if unknown:
            listed = ", ".join(f"'{ex}' ({_rows(n)})" for ex, n in unknown[:10])
            more = f" and {len(unknown) - 10} more" if len(unknown) > 10 else ""
            first = info.columns[0]
            out.append(
                f"{entity}.{column}: {len(unknown)} value(s) are not in seeds/{seed}.csv "
                f"(matched lower-cased and trimmed) nor in the mapping's seed_rows: {listed}{more}; "
                f"{_SEED_EFFECT[seed]}. Add them under seed_rows: {{{seed}: [{{{first}: ..., ...}}]}} "
                "or translate them to known names with a value map"
            )
    for entity, column, target, field_name in _relationships():
        if entity not in rels or target not in contract.names:
            continue
        values = union(entity, column)
        if values is None:
            continue
        n_refs = con.execute(
            f"select count(*) from ({values}) where v is not null and trim(v) <> ''"
        ).fetchone()[0]  # type: ignore[index]
        if not n_refs:
            continue
        if target not in mapping.entities:
            role = column.removesuffix("_id").removesuffix("_rep").replace("_", " ")
            out.append(
                f"{entity}.{column}: references to {target} on {_rows(n_refs)}, but this mapping "
                f"does not import {target}: the {role} dimension will be absent (not an error: the build "
                f"reports the references as missing). Add an entity '{target}' to have it"
            )
            continue
        keys = union(target, field_name)
        if keys is None:
            continue
        n, examples = con.execute(
            f"select count(*), list(distinct v)[1:{EXAMPLES}] from ({values}) "
            f"where v is not null and trim(v) <> '' and v not in (select v from ({keys}) "
            "where v is not null)"
        ).fetchone()  # type: ignore[misc]
        if n:
            out.append(
                f"{entity}.{column}: references on {_rows(n)} to {target} records the export does "
                f"not have (e.g. {', '.join(repr(e) for e in examples)}): the build's relationship "
                f"test on {column} flags them"
            )
    return out


def _rows(n: int) -> str:
    return f"{n:,} row" + ("" if n == 1 else "s")


def _write_seed_rows(landing: Path, mapping: Mapping) -> dict[str, str]:
    """Write the mapping's seed_rows: to landing/.seed_rows/<seed>.csv (the loader skips hidden
    folders); remove those of a previous import. Returns seed -> file."""
    import csv as _csv

    folder = landing / SEED_ROWS_DIR
    if folder.is_dir():
        shutil.rmtree(folder)
    written: dict[str, str] = {}
    for seed, rows in mapping.seed_rows.items():
        if not rows:
            continue
        folder.mkdir(parents=True, exist_ok=True)
        info = seed_info(seed)
        target = folder / f"{seed}.csv"
        with target.open("w", encoding="utf-8", newline="") as fh:
            writer = _csv.DictWriter(fh, fieldnames=list(info.columns), lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)
        written[seed] = str(target)
    return written


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

    staged, _ = _stages(con, table, part, filtered, part.columns)
    proj = [_q("c__" + col) for col in part.columns]
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
        f"create or replace temp table {name}__p as select __row, {', '.join(proj)} from ({staged})"
    )
    rows_kept = con.execute(f"select count(*) from {name}__p").fetchone()[0]  # type: ignore[index]
    types = {r[0]: str(r[1]) for r in con.execute(f"describe {name}__p").fetchall()}

    conv, bad, typed_of = [], [], {}
    for col_name, spec in part.columns.items():
        col = table.column(col_name)
        x = _q("c__" + col_name)
        typed = _typed_sql(
            x, types["c__" + col_name], col, _formats(part, spec, col), part.timezone, spec.numbers
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
        elif table.column(ref).data_type == "varchar":
            # Text ids such as row_number() ones: numbers compare as numbers.
            c = f"cast({_q('c__' + ref)} as varchar)"
            orders += [
                f"try_cast({c} as double) desc nulls last",
                f"{c} desc nulls last",
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


def _count_with_examples(
    con: duckdb.DuckDBPyConnection, name: str, column: str, where: str
) -> tuple[int, list]:
    """Rows of `name` where `where` holds, and up to EXAMPLES of their distinct `column` values."""
    n, examples = con.execute(
        f"select count(*), list(distinct {column})[1:{EXAMPLES}] from {name} where {where}"
    ).fetchone()  # type: ignore[misc]
    return n, examples


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
        if col.is_numeric and col.min_value is not None:
            n, examples = _count_with_examples(
                con, name, c, f"try_cast({c} as double) < {float(col.min_value)!r}"
            )
            if n:
                out.append(
                    f"{table.name}.{col_name}: {n:,} row(s) are below the contract's minimum "
                    f"{col.min_value} ({', '.join(repr(e) for e in examples)}); the loader will "
                    "quarantine them"
                )
        if col.accepted_values:
            accepted = ", ".join(_lit(v) for v in col.accepted_values)
            n, examples = _count_with_examples(
                con, name, c, f"{c} is not null and {c} not in ({accepted})"
            )
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
    mapping, issues = load_mapping_partial(mapping_path, contract)
    if mapping is None:
        raise MappingError(issues)
    landing = workdir / "landing"
    scratch_dir = tempfile.TemporaryDirectory(prefix="crm-import-")
    scratch = Path(scratch_dir.name)
    con = _connect([source_dir, scratch, landing])
    try:
        plans = _plans(con, mapping, source_dir, contract, scratch, issues)
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
        result.warnings += _cross_warnings(
            con,
            contract,
            mapping,
            {e: [(f"select * from {final}", cols)] for e, (final, cols) in finals.items()},
        )
        result.export_date = _export_date(con, contract, finals)
        _clear_landing(landing, contract)
        result.seed_rows = {k: v for k, v in mapping.seed_rows.items() if v}
        result.seed_row_files = _write_seed_rows(landing, mapping)
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
        scratch_dir.cleanup()
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
