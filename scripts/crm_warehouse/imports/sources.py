"""Opening an export's files, inside the import's sandbox.

`connect` gives the import's DuckDB connection, which can reach the --source,
scratch and landing folders only. `open_source` resolves a part's (or a
join's) file patterns inside --source (no symlink leading out), cuts report
headers and footers when the csv: options ask for it, and reads the files once
into a temp table; every problem becomes an `Issue` for the check.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
from dataclasses import dataclass
from pathlib import Path

import duckdb

from crm_warehouse.imports.sandbox import path_problem
from crm_warehouse.imports.spec import Issue, Mapping, did_you_mean
from crm_warehouse.settings import configure_duckdb, sql_list, sql_literal

_CSV_EXT = (".csv", ".tsv", ".txt")
_PARQUET_EXT = (".parquet", ".pq")
_JSON_EXT = (".json", ".jsonl", ".ndjson")


def connect(allowed: list[Path]) -> duckdb.DuckDBPyConnection:
    """The import's DuckDB connection, sandboxed: it can reach the `allowed` folders only.

    External access is off (no file outside those folders, no extension to
    install or load, no network, no attach) and the configuration is locked,
    so no SQL run on it can turn that back on. The mapping's SQL is checked
    too (crm_warehouse.imports.sandbox.sql_expression_problem): this is the second wall.
    """
    con = duckdb.connect(":memory:")
    configure_duckdb(con, Path(tempfile.gettempdir()) / "crm-import-spill")
    folders = ", ".join(sql_literal(str(Path(f).resolve()).rstrip("/") + "/") for f in allowed)
    con.execute(f"set allowed_directories = [{folders}]")
    con.execute("set enable_external_access = false")
    con.execute("set lock_configuration = true")
    return con


@dataclass
class Source:
    """The files of one part (or join) and the SQL that reads them."""

    patterns: tuple[str, ...]
    files: list[Path]
    sql: str
    columns: dict[str, str]  # name -> DuckDB type


def _matching_files(
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
            refused.append(f"'{pattern}' is not a usable glob: {first_line(exc)}")
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
        return f"read_parquet({sql_list(files)}, union_by_name = true)"
    if suffixes <= set(_JSON_EXT):
        return f"read_json_auto({sql_list(files)}, union_by_name = true)"
    opts = ["header = true", "all_varchar = true", "union_by_name = true"]
    names = {"delimiter": "delim", "quote": "quote", "escape": "escape", "encoding": "encoding"}
    for key, arg in names.items():
        if key in csv and not (trimmed and key == "encoding"):
            opts.append(f"{arg} = {sql_literal(csv[key])}")
    if "skip_header_lines" in csv and not trimmed:
        opts.append(f"skip = {int(csv['skip_header_lines'])}")
    if "header" in csv:
        opts[0] = f"header = {str(csv['header']).lower() in ('true', 'yes', '1')}"
    return f"read_csv({sql_list(files)}, {', '.join(opts)})"


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


def open_source(
    con: duckdb.DuckDBPyConnection,
    source_dir: Path,
    patterns: tuple[str, ...],
    csv: dict[str, str],
    issues: list[Issue],
    mapping: Mapping,
    line: int | None,
    what: str,
    scratch: Path,
) -> Source | None:
    """The files `patterns` match, read once into a temp table.

    Every problem (a file refused or missing, formats mixed, a file that does
    not read) is appended to `issues`, naming `what` and the mapping's `line`;
    the source is None then.
    """
    files = _files_or_issues(source_dir, patterns, issues, mapping, line, what)
    if files is None:
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
    try:
        sql = _read_once(con, files, csv, "csv" in kinds and _cuts_lines(csv), scratch)
        described = con.execute(f"describe {sql}").fetchall()
    except (duckdb.Error, UnicodeDecodeError) as exc:
        issues.append(
            Issue(
                mapping.path,
                line,
                f"{what}: cannot read {', '.join(f.name for f in files)}: {first_line(exc)}",
                "check csv: options (delimiter, encoding, skip_header_lines) for this file; "
                "a report export with lines above its header or a footer below its data needs "
                "csv: {skip_header_lines: N, skip_footer_lines: N} or csv: {stop_at_blank_line: true}",
            )
        )
        return None
    return Source(patterns, files, sql, {row[0]: str(row[1]) for row in described})


def _files_or_issues(
    source_dir: Path,
    patterns: tuple[str, ...],
    issues: list[Issue],
    mapping: Mapping,
    line: int | None,
    what: str,
) -> list[Path] | None:
    """The files the patterns match; None (the problems appended to `issues`) when a
    pattern matches nothing, a file is refused or there is no file at all."""
    files, missing, refused = _matching_files(source_dir, patterns)
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
    return files


def _read_once(
    con: duckdb.DuckDBPyConnection,
    files: list[Path],
    csv: dict[str, str],
    cut: bool,
    scratch: Path,
) -> str:
    """The temp table holding the files (created on first use: the checks and the import
    query it often); `cut` files lose their report header and footer first."""
    reader = _reader_sql(files, csv)
    sql = "src_" + hashlib.md5((reader + json.dumps(csv, sort_keys=True)).encode()).hexdigest()[:12]
    exists = con.execute(
        "select count(*) from duckdb_tables() where table_name = ?", [sql]
    ).fetchone()
    if exists and exists[0]:
        return sql
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
    return sql


def first_line(exc: BaseException) -> str:
    """The first line of an error's message (its type when the message is empty)."""
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
