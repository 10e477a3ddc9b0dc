"""The mapping sandbox: what a mapping's SQL and file patterns may do.

A mapping's SQL (expr:, filter:, when:) must be one expression that computes
on the row's values: `sql_expression_problem` parses it with DuckDB's own
parser (which runs nothing) and refuses statements, subqueries, other tables
and any function outside `ALLOWED_FUNCTIONS`. `path_problem` refuses file
patterns that could reach outside --source. The import's DuckDB connection
(`crm_warehouse.imports.sources.connect`) is the second wall.
"""

from __future__ import annotations

import re
from typing import Any

#: Functions a mapping's SQL (expr:, filter:, when:) may call: they compute on the
#: row's values only. Anything else (read_csv, glob, getenv, copy, attach, ...)
#: is refused: a mapping cannot read, write or reach outside its --source.
ALLOWED_FUNCTIONS = frozenset(
    {
        # operators (DuckDB names them as functions)
        *("+", "-", "*", "/", "//", "%", "^", "**", "||", "&", "|", "<<", ">>", "~"),
        *("~~", "!~~", "~~*", "!~~*", "~~~", "!~~~", "@"),
        # text
        *("lower", "upper", "lcase", "ucase", "trim", "ltrim", "rtrim", "left", "right"),
        *("substr", "substring", "length", "len", "char_length", "strlen", "concat"),
        *("concat_ws", "replace", "translate", "reverse", "repeat", "lpad", "rpad"),
        *("split_part", "string_split", "str_split", "strpos", "instr", "position"),
        *("contains", "starts_with", "ends_with", "prefix", "suffix", "like_escape"),
        *("regexp_replace", "regexp_extract", "regexp_matches", "regexp_full_match"),
        *("regexp_split_to_array", "format", "printf", "initcap", "md5", "sha256", "hash"),
        *("nfc_normalize", "strip_accents", "ascii", "chr", "unicode", "to_base", "from_base"),
        *("array_to_string", "list_to_string"),
        # conditionals
        *("coalesce", "nullif", "ifnull", "if", "greatest", "least"),
        # numbers
        *("abs", "round", "floor", "ceil", "ceiling", "trunc", "sign", "mod", "power"),
        *("pow", "sqrt", "ln", "log", "log10", "log2", "exp", "round_even", "even"),
        *("isnan", "isfinite", "isinf"),
        # dates and times
        *("strptime", "try_strptime", "strftime", "date_part", "datepart", "date_trunc"),
        *("datetrunc", "date_diff", "datediff", "date_sub", "datesub", "date_add", "age"),
        *("make_date", "make_time", "make_timestamp", "make_timestamptz", "to_timestamp"),
        *("epoch", "epoch_ms", "epoch_us", "year", "month", "day", "hour", "minute"),
        *("second", "dayofweek", "dayofmonth", "dayofyear", "week", "weekofyear", "quarter"),
        *("isodow", "isoyear", "last_day", "monthname", "dayname", "timezone"),
        *("to_years", "to_months", "to_weeks", "to_days", "to_hours", "to_minutes"),
        *("to_seconds", "to_milliseconds", "to_microseconds"),
        # lists (a split value, an array column)
        *("list_value", "list_extract", "array_extract", "list_element", "list_contains"),
        *("array_contains", "list_has", "array_length", "list_concat", "list_slice"),
        *("array_slice", "list_transform", "list_apply", "array_transform", "list_filter"),
        *("array_filter", "list_distinct", "list_sort", "list_reverse", "flatten"),
        *("struct_extract", "struct_pack", "row"),
        # aggregates and window functions (with over (...))
        *("min", "max", "sum", "count", "count_star", "avg", "mean", "first", "last"),
        *("any_value", "arg_min", "arg_max", "argmin", "argmax", "string_agg", "group_concat"),
        *("list", "array_agg", "bool_and", "bool_or", "median", "mode", "stddev"),
        *("row_number", "rank", "dense_rank", "percent_rank", "cume_dist", "ntile"),
        *("lag", "lead", "first_value", "last_value", "nth_value"),
    }
)
#: Kinds of node an expression may hold (DuckDB's parse tree classes).
_ALLOWED_NODES = frozenset(
    {
        "BETWEEN",
        "CASE",
        "CAST",
        "COLLATE",
        "COLUMN_REF",
        "COMPARISON",
        "CONJUNCTION",
        "CONSTANT",
        "FUNCTION",
        "LAMBDA",
        "LAMBDA_REF",
        "OPERATOR",
        "TYPE",
        "WINDOW",
    }
)
_NODE_WORDS = {
    "SUBQUERY": "a subquery (select ...)",
    "STAR": "* or columns(...)",
    "PARAMETER": "a parameter ($1 or ?)",
    "POSITIONAL_REFERENCE": "a positional reference (#1)",
}
#: The table name of the wrapper the text is parsed in: `select (<text>) from <it>`.
_SANDBOX_TABLE = "__mapping_rows"
_sandbox_con: Any = None


def _parser_connection() -> Any:
    """An in-memory DuckDB connection that parses SQL only (no file access at all)."""
    global _sandbox_con
    if _sandbox_con is None:
        import duckdb

        con = duckdb.connect(":memory:")
        con.execute("set enable_external_access = false")
        con.execute("set lock_configuration = true")
        _sandbox_con = con
    return _sandbox_con


def sql_expression_problem(text: str) -> str | None:
    """Why `text` is not one sandboxed SQL expression (None when it is).

    The text is parsed by DuckDB's own parser (json_serialize_sql, which runs
    nothing) as `select (<text>) from __mapping_rows`; the parse tree must be
    exactly that — one statement, one select item, that one table, no other
    clause — so a `;`, a second statement, a `from` or a subquery smuggled in
    is refused. Every node of the expression must be of an allowed kind, and
    every function called must be in ALLOWED_FUNCTIONS, unqualified.
    """
    import json

    wrapped = f"select ({text}) from {_SANDBOX_TABLE}"
    raw = _parser_connection().execute("select json_serialize_sql(?)", [wrapped]).fetchone()[0]
    tree = json.loads(raw)
    if tree.get("error"):
        reason = str(tree.get("error_message") or "it does not parse")
        if "Only SELECT" in reason or ";" in text:
            return "it is not one SQL expression (a ';' or a statement such as copy is not allowed)"
        return f"it is not a valid SQL expression: {reason}"
    statements = tree.get("statements") or []
    node = statements[0].get("node", {}) if len(statements) == 1 else {}
    source = node.get("from_table") or {}
    if (
        len(statements) != 1
        or node.get("type") != "SELECT_NODE"
        or len(node.get("select_list") or []) != 1
        or source.get("type") != "BASE_TABLE"
        or source.get("table_name") != _SANDBOX_TABLE
        or source.get("schema_name")
        or source.get("catalog_name")
        or any(node.get(k) for k in ("where_clause", "having", "qualify", "sample"))
        or node.get("group_expressions")
        or node.get("modifiers")
        or (node.get("cte_map") or {}).get("map")
    ):
        return "it is not one SQL expression (it adds a clause, a table or a statement of its own)"
    return _node_problem(node["select_list"][0])


def _node_problem(node: Any) -> str | None:
    if isinstance(node, list):
        for item in node:
            problem = _node_problem(item)
            if problem:
                return problem
        return None
    if not isinstance(node, dict):
        return None
    kind = node.get("class")
    if kind is not None:
        if kind not in _ALLOWED_NODES:
            return f"it holds {_NODE_WORDS.get(str(kind), str(kind).lower())}, which a mapping may not use"
        if kind in ("FUNCTION", "WINDOW"):
            name = str(node.get("function_name") or "")
            if node.get("schema") or node.get("catalog"):
                return f"it calls the qualified function {node.get('schema')}.{name}"
            if name.lower() not in ALLOWED_FUNCTIONS:
                return f"it calls {name}(), which a mapping may not use"
    for key, value in node.items():
        if key != "class":
            problem = _node_problem(value)
            if problem:
                return problem
    return None


def path_problem(pattern: str) -> str | None:
    """Why a files: pattern may reach outside --source (None when it stays inside).

    Patterns are relative to --source: an absolute path, a home folder (~), a
    drive letter or a `..` component is refused. Where the files it matches
    really are (symlinks) is checked when the source is read.
    """
    text = pattern.strip()
    if not text:
        return "it is empty"
    parts = re.split(r"[\\/]", text)
    if text.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", text):
        return "it is an absolute path"
    if text.startswith("~"):
        return "it starts at a home folder (~)"
    if ".." in parts:
        return "it goes up a folder with '..'"
    if any("**" in p and p != "**" for p in parts):
        return "'**' must be a whole path component (as in 'exports/**/*.csv')"
    return None
