"""Writing the quarantine: one raw._quarantine row per failing (row, rule)
with its reason and the original record, the spreadsheet-safe
quarantine/<table>/<file name>.rejected.csv of a file's rejected rows, and
the copy of a whole rejected file under quarantine/_rejected_files/.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa

from crm_warehouse.ingest.contract import Column
from crm_warehouse.ingest.inspection import Layout
from crm_warehouse.ingest.results import FileLoad, FileState
from crm_warehouse.ingest.validate import RULE_KINDS, describe
from crm_warehouse.settings import sql_identifier, sql_list, sql_literal

REJECTED_FILES_DIR = "_rejected_files"

#: A row's reasons are reported in validate.RULE_KINDS order.
_RULE_ORDER = {k: i for i, k in enumerate(RULE_KINDS)}

#: A cell starting with one of these is read as a formula by spreadsheets (OWASP
#: "CSV injection": = + - @ tab CR), so the rejected CSVs prefix it with a quote...
_FORMULA_START = "=+-@\t\r"
#: ... unless it is a plain number: -5.00 stays as it is (a spreadsheet reads a number).
_PLAIN_NUMBER = r"^[+-]?([0-9]+[.]?[0-9]*|[.][0-9]+)([eE][+-]?[0-9]+)?$"


def records_at(batch: pa.Table, layout: Layout, positions: np.ndarray) -> list[dict]:
    """The rows of a chunk at `positions` as {file column: text} records."""
    taken = batch.select([f"t{i}" for i in range(len(layout.file_columns))]).take(
        pa.array(positions, type=pa.int64())
    )
    columns = [taken.column(i).to_pylist() for i in range(taken.num_columns)]
    return [
        {name: columns[i][k] for i, name in enumerate(layout.file_columns)}
        for k in range(len(positions))
    ]


def quarantine_rows(
    con: duckdb.DuckDBPyConnection,
    state: FileState,
    issues: list[tuple[int, str, Column, Any]],
    records: dict[int, dict],
) -> None:
    """Insert one quarantine row per (row, rule) and keep the messages."""
    if not issues:
        return
    position = {name: i for i, name in enumerate(state.table.column_names)}
    issues.sort(key=lambda x: (x[0], position[x[2].name], _RULE_ORDER[x[1]]))
    data: dict[str, list[Any]] = {
        "source_row": [],
        "column_name": [],
        "rule": [],
        "reason": [],
        "raw_value": [],
        "raw_record": [],
    }
    for row, kind, column, value in issues:
        reason = describe(kind, column, value, state.date_window)
        state.add_message(row, column.name, reason)
        state.rule_counts[(kind, column.name)] += 1
        data["source_row"].append(row)
        data["column_name"].append(column.name)
        data["rule"].append(kind)
        data["reason"].append(reason)
        data["raw_value"].append(None if value is None else str(value))
        data["raw_record"].append(json.dumps(records[row], ensure_ascii=False))
    issue_rows = pa.table(data)  # read by DuckDB's replacement scan below
    con.execute(
        "insert into raw._quarantine select $batch_id, $file_hash, $source_file, $table_name,"
        " source_row, column_name, rule, reason, raw_value, raw_record, $at from issue_rows",
        {
            "batch_id": state.batch_id,
            "file_hash": state.file_hash,
            "source_file": state.rel,
            "table_name": state.table.name,
            "at": state.started_at,
        },
    )
    del issue_rows


def spreadsheet_safe(value: str) -> str:
    """`value` as a spreadsheet shows it without running it: a formula-like
    value gets a leading single quote (the rejected CSVs apply the same rule in SQL)."""
    if value[:1] and value[0] in _FORMULA_START and not re.match(_PLAIN_NUMBER, value):
        return "'" + value
    return value


def _spreadsheet_safe_sql(expr: str) -> str:
    """spreadsheet_safe() of a varchar SQL expression."""
    return (
        f"case when regexp_matches({expr}, '^[=+\\-@\\t\\r]')"
        f" and not regexp_matches({expr}, {sql_literal(_PLAIN_NUMBER)})"
        f" then chr(39) || {expr} else {expr} end"
    )


def write_rejected_csv(
    con: duckdb.DuckDBPyConnection, layout: Layout, state: FileState, target: Path
) -> None:
    """quarantine/<table>/<file name>.rejected.csv: row number, original values,
    reasons, every cell spreadsheet-safe (see spreadsheet_safe; the original
    values stay in raw._quarantine.raw_value and raw_record)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    values = ", ".join(
        _spreadsheet_safe_sql(
            f"json_extract_string(raw_record, {sql_literal('$.' + json.dumps(name))})"
        )
        + f" as {sql_identifier(spreadsheet_safe(name))}"
        for name in layout.file_columns
    )
    reasons = _spreadsheet_safe_sql(
        "string_agg(coalesce(column_name || ': ', '') || reason, '; '"
        " order by column_order, rule_order)"
    )
    at = state.started_at.isoformat(sep=" ")
    con.execute(
        f"""copy (
            select source_row as _source_row, {values},
                {reasons} as _reasons
            from (
                select *,
                    list_position({sql_list(state.table.column_names)}, column_name)
                        as column_order,
                    list_position({sql_list(list(_RULE_ORDER))}, rule) as rule_order
                from raw._quarantine
                where file_hash = {sql_literal(state.file_hash)}
                    and quarantined_at = timestamp {sql_literal(at)}
            )
            group by source_row, raw_record
            order by source_row
        ) to {sql_literal(str(target))} (header true, delimiter ',')"""
    )


def set_aside_file(quarantine_dir: Path, path: Path, result: FileLoad, reason: str) -> Path:
    """Copy a rejected file to quarantine_dir/_rejected_files/<its landing
    path> with a .reason.txt beside it; the copy's path as the message shows
    it (relative to the quarantine folder's parent when below it)."""
    # the landing path below _rejected_files/: same-named files of two folders stay apart
    dest = quarantine_dir / REJECTED_FILES_DIR / result.path
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(path, dest)
    dest.with_name(dest.name + ".reason.txt").write_text(
        f"file: {result.path}\nsha256: {result.file_hash}\nrejected: {reason}\n\n"
        "Nothing of this file was loaded. Fix the file (or the contract), then land the"
        " fixed file again; see docs/loading.md.\n",
        encoding="utf-8",
    )
    return (
        dest.relative_to(quarantine_dir.parent)
        if dest.is_relative_to(quarantine_dir.parent)
        else dest
    )
