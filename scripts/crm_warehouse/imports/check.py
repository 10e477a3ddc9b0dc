"""The check pass: a mapping against the contract and the export's files.

`plan_parts` checks every part of a parsed mapping against its files before
anything is written: the files exist and read, every source column and
join key is in the header, the filter, expressions and when: conditions run,
dates, timestamps and numbers convert (`crm_warehouse.imports.format_check`),
latest_by names known columns. Every problem, across all parts, is raised in
one `MappingError`; else the plans are ready to run.
`crm_warehouse.imports.importer.check_export` (the check alone) and
`import_export` (which then runs the plans) both start here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import duckdb

from crm_warehouse.imports.format_check import check_format, check_number
from crm_warehouse.imports.part_sql import (
    PartPlan,
    filtered_sql,
    in_file_order,
    stages,
    value_sql,
    when_sql,
    with_typed,
)
from crm_warehouse.imports.sandbox import sql_expression_problem
from crm_warehouse.imports.sources import Source, first_line, open_source
from crm_warehouse.imports.spec import (
    ColumnSpec,
    Issue,
    Mapping,
    MappingError,
    PartSpec,
    did_you_mean,
)
from crm_warehouse.ingest.contract import Contract, Table
from crm_warehouse.settings import sql_identifier


def _check_part(
    con: duckdb.DuckDBPyConnection,
    mapping: Mapping,
    table: Table,
    part: PartSpec,
    source_dir: Path,
    issues: list[Issue],
    scratch: Path,
) -> PartPlan | None:
    """Check one part against its files; append every problem found to `issues`.

    One problem does not hide another: a source column missing from the header
    leaves out that column only, and the others' expressions, formats and
    numbers are still checked. Returns the plan when the part can run.
    """
    what = f"entity '{part.label}'"
    before = len(issues)
    source = open_source(
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
    joined = _check_joins(con, mapping, part, source, source_dir, issues, scratch, what)
    specs = dict(part.columns)
    for name in _refused_after_rewrite(mapping, part, what, issues):
        specs.pop(name)
    part, notes = _absent_optional_columns(part, source, specs, joined)
    for name in _missing_source_columns(mapping, part, source, specs, joined, issues, what):
        specs.pop(name)
    key_refs, order_refs = _latest_by_refs(mapping, part, source, joined.available, issues, what)
    if not joined.ok:
        return None
    plan = PartPlan(part, source, joined.joins, joined.available, order_refs, key_refs, notes)
    filtered, sampled = _check_sql(con, mapping, table, plan, specs, issues, what)
    if sampled:  # values are not sampled through a broken filter
        _check_values(con, mapping, table, part, specs, filtered, issues, what)
    return None if len(issues) > before else plan


@dataclass
class _Joined:
    """A part's joins that fit, and the source columns they make available."""

    joins: list[tuple[Source, tuple[tuple[str, str], ...], str]]
    available: dict[str, str]  # the part's and the joined files' columns -> type
    ok: bool = True  # every join opened and fits
    header_known: bool = True  # every joined file opened: all available columns are known


def _check_joins(
    con: duckdb.DuckDBPyConnection,
    mapping: Mapping,
    part: PartSpec,
    source: Source,
    source_dir: Path,
    issues: list[Issue],
    scratch: Path,
    what: str,
) -> _Joined:
    """Open the part's joined files; check their key columns and that no name clashes."""
    joined = _Joined([], dict(source.columns))
    available = joined.available
    file_names = ", ".join(f.name for f in source.files)
    for js in part.joins:
        jsrc = open_source(
            con, source_dir, js.files, part.csv, issues, mapping, js.line, f"{what} join", scratch
        )
        if jsrc is None:
            joined.ok = joined.header_known = False
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
            joined.joins.append((jsrc, js.pairs, js.prefix))
        else:
            joined.ok = False
    return joined


def _absent_optional_columns(
    part: PartSpec, source: Source, specs: dict[str, ColumnSpec], joined: _Joined
) -> tuple[PartSpec, list[str]]:
    """Optional from: columns the files lack become constants, each with a note:
    their default: where they have one (under their when:), else null.

    Returns the part with those columns replaced (`specs` is updated too) and
    the notes. Nothing is absent while a joined file did not open (its header,
    which may hold the column, is unknown).
    """
    if not joined.header_known:
        return part, []
    file_names = ", ".join(f.name for f in source.files)
    notes = []
    for name, spec in list(specs.items()):
        if spec.kind == "from" and spec.optional and spec.source not in joined.available:
            absent = f"{part.label}.{name}: the export ({file_names}) has no column '{spec.source}'"
            if spec.default is not None:
                # the default stands for the values the export lacks; map: has none to map
                specs[name] = replace(
                    spec,
                    kind="value",
                    source=None,
                    value=spec.default,
                    map=None,
                    map_name=None,
                    default=None,
                )
                where = f" where {spec.when}" if spec.when else ""
                notes.append(
                    f"{absent} (optional): its default '{spec.default}' in every row{where}"
                )
                continue
            # map: and when: apply to values the export has: none here.
            specs[name] = replace(
                spec,
                kind="value",
                source=None,
                map=None,
                map_name=None,
                default=None,
                when=None,
                numbers=None,
                typed_refs=(),
            )
            notes.append(f"{absent} (optional): left empty")
    if not notes:
        return part, []
    columns = {n: specs.get(n, s) for n, s in part.columns.items()}
    return replace(part, columns=columns), notes


def _missing_source_columns(
    mapping: Mapping,
    part: PartSpec,
    source: Source,
    specs: dict[str, ColumnSpec],
    joined: _Joined,
    issues: list[Issue],
    what: str,
) -> list[str]:
    """The specs reading a source column the files lack (reported)."""
    available = joined.available
    file_names = ", ".join(f.name for f in source.files)
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
    elif joined.header_known:
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
    return list(missing)


def _latest_by_refs(
    mapping: Mapping,
    part: PartSpec,
    source: Source,
    available: dict[str, str],
    issues: list[Issue],
    what: str,
) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """latest_by's key and order_by, each name a ("source"|"contract", name) reference."""
    file_names = ", ".join(f.name for f in source.files)
    mapped = set(part.columns)
    key_refs: list[tuple[str, str]] = []
    order_refs: list[tuple[str, str]] = []
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
    return key_refs, order_refs


def _check_sql(
    con: duckdb.DuckDBPyConnection,
    mapping: Mapping,
    table: Table,
    plan: PartPlan,
    specs: dict[str, ColumnSpec],
    issues: list[Issue],
    what: str,
) -> tuple[str, bool]:
    """Run the filter, then every expression and when: condition, each on its own (no rows).

    Specs whose SQL fails are reported and left out of `specs`. Returns the
    rows' SQL and whether the filter ran (else the rows are unfiltered).
    """
    part = plan.part
    available = plan.columns
    sampled = True
    filtered = filtered_sql(plan)
    try:
        con.execute(f"select * from ({filtered}) limit 0")
    except duckdb.Error as exc:
        sampled = False
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
        filtered = filtered_sql(plan, with_filter=False)
    for spec in list(specs.values()):
        if spec.typed_refs and any(r not in specs or specs[r].typed_refs for r in spec.typed_refs):
            specs.pop(spec.name)  # reads a column that has a problem (reported) of its own
            continue
        checks = []
        if spec.kind == "expr":
            checks.append((f"column '{spec.name}'", spec.expr or "", value_sql(spec, False)))
        if spec.when:
            checks.append((f"column '{spec.name}' when:", spec.when, when_sql(spec)))
        rel = filtered
        if spec.typed_refs:
            refs = {r: specs[r] for r in spec.typed_refs}
            _, over = stages(con, table, part, filtered, {**refs, spec.name: spec})
            rel = over or filtered
        for where, text, sql in checks:
            try:
                con.execute(f"select {sql} from ({rel}) limit 0")
            except duckdb.Error as exc:
                specs.pop(spec.name, None)
                issues.append(_sql_issue(mapping, spec.line, what, where, text, exc, available))
    return filtered, sampled


def _check_values(
    con: duckdb.DuckDBPyConnection,
    mapping: Mapping,
    table: Table,
    part: PartSpec,
    specs: dict[str, ColumnSpec],
    filtered: str,
    issues: list[Issue],
    what: str,
) -> None:
    """Test-parse the date, timestamp and number columns; one issue per format line."""
    by_line: dict[int | None, list[tuple[Issue, ColumnSpec]]] = {}
    staged: tuple[str, str | None] | None = None
    for spec in specs.values():
        col = table.column(spec.name)
        if col.data_type not in ("date", "timestamp") and not col.is_numeric:
            continue
        rel = filtered
        if spec.typed_refs:
            staged = staged or stages(con, table, part, filtered, specs)
            rel = staged[1] or filtered
        if col.is_numeric:
            issue = check_number(con, mapping, part, spec, col, rel, what)
        else:
            issue = check_format(con, mapping, part, spec, col, rel, what)
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
            ("expr:", spec.expr, with_typed(in_file_order(spec.expr or ""))),
            ("when:", spec.when, when_sql(spec)),
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
    message = first_line(exc)
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


def part_text_relation(con: duckdb.DuckDBPyConnection, table: Table, plan: PartPlan) -> str:
    """The part's rows (before latest_by) with each mapped contract column as text."""
    staged, _ = stages(con, table, plan.part, filtered_sql(plan), plan.part.columns)
    cols = ", ".join(
        f"cast({sql_identifier('c__' + c)} as varchar) as {sql_identifier(c)}"
        for c in plan.part.columns
    )
    return f"select {cols} from ({staged})"


def plan_parts(
    con: duckdb.DuckDBPyConnection,
    mapping: Mapping,
    source_dir: Path,
    contract: Contract,
    scratch: Path,
    issues: list[Issue] | None = None,
) -> dict[str, list[PartPlan]]:
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
    plans: dict[str, list[PartPlan]] = {}
    for entity, parts in mapping.entities.items():
        table = contract.table(entity)
        for part in parts:
            plan = _check_part(con, mapping, table, part, source_dir, issues, scratch)
            if plan is not None:
                plans.setdefault(entity, []).append(plan)
    if issues:
        raise MappingError(issues)
    return plans
