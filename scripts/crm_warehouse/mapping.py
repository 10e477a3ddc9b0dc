"""Mapping files: how a CRM export's columns become the raw contract's.

A mapping is a short YAML file (see docs/import.md) that says which source
file feeds which contract entity, and how each contract column is filled: from
a source column (renamed, its values translated through a value map), from a
constant, or from a SQL expression over the source columns. It also gives the
export's date and timestamp formats, its time zone, the markers it uses for a
missing value, and how to keep one row per record when the export holds
several (an event log).

This module parses a mapping and checks everything that can be checked without
the source files: known keys, entities and contract columns, required columns
mapped, constants and value-map targets within the contract's accepted values,
time zones and the syntax of strptime formats. Every problem becomes an
`Issue` naming the mapping file, the YAML line and the fix; all of them are
raised together as one `MappingError`. The checks that need the source files
(columns present in the header, formats that match the values, expressions
that compile) live in `crm_warehouse.importer`.

The contract's tables and columns come from `load_contract()`; nothing here
repeats them.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from crm_warehouse.contract import Column, Contract, Table, load_contract

#: Keys allowed at the top of a mapping file.
TOP_KEYS = (
    "name",
    "description",
    "value_maps",
    "entities",
    "null_values",
    "date_format",
    "timestamp_format",
    "timezone",
    "csv",
)
#: Keys that may be set at the top (defaults for every entity) or per entity.
INHERITED_KEYS = ("null_values", "date_format", "timestamp_format", "timezone", "csv")
#: Keys of one entity block (one "part"; an entity may list several parts).
PART_KEYS = ("description", "files", "join", "filter", "latest_by", "columns", *INHERITED_KEYS)
#: Keys of a column given as a mapping.
COLUMN_KEYS = ("from", "expr", "value", "map", "default", "format")
JOIN_KEYS = ("files", "on", "prefix")
LATEST_BY_KEYS = ("key", "order_by")
#: Options passed to DuckDB's read_csv.
CSV_KEYS = ("delimiter", "quote", "escape", "encoding", "skip", "header")

#: Formats tried to suggest a fix when a date or timestamp does not parse.
COMMON_FORMATS = (
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d",
    "%d/%m/%Y %H:%M:%S",
    "%d/%m/%Y %H:%M",
    "%d/%m/%Y",
    "%m/%d/%Y %H:%M:%S",
    "%m/%d/%Y %H:%M",
    "%m/%d/%Y %I:%M %p",
    "%m/%d/%Y",
    "%d.%m.%Y %H:%M:%S",
    "%d.%m.%Y %H:%M",
    "%d.%m.%Y",
    "%d-%m-%Y %H:%M",
    "%d-%m-%Y",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d",
    "%d %b %Y",
    "%b %d, %Y",
)

_NULL_WORDS = {"~", "null", "Null", "NULL", ""}
_STRPTIME_DIRECTIVES = set("aAbBcdfgGHIjmMpSuUVwWxXyYzZ%-")


# --------------------------------------------------------------------------- issues


@dataclass(frozen=True)
class Issue:
    """One problem in a mapping: where it is, what is wrong, what to do."""

    file: Path
    line: int | None
    message: str
    fix: str | None = None

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else str(self.file)
        text = f"{where}: {self.message}"
        if self.fix:
            text += f"\n    fix: {self.fix}"
        return text


class MappingError(ValueError):
    """A mapping file has one or more problems; str() lists them all."""

    def __init__(self, issues: list[Issue]) -> None:
        self.issues = sorted(issues, key=lambda i: (str(i.file), i.line or 0))
        files = sorted({str(i.file) for i in self.issues})
        head = f"{len(self.issues)} problem(s) in mapping {', '.join(files)}:"
        super().__init__("\n".join([head, *(f"- {i}" for i in self.issues)]))


def close_matches(word: str, candidates: Iterable[str], n: int = 3) -> list[str]:
    """The candidates closest to `word` (case-insensitive; prefixes first)."""
    lower = {c.lower(): c for c in candidates}
    w = word.lower()
    hits = [c for c in lower if len(w) >= 3 and c != w and c.startswith(w)][:n]
    hits = hits or difflib.get_close_matches(w, list(lower), n=n, cutoff=0.6)
    return [lower[h] for h in hits]


def did_you_mean(word: str, candidates: Iterable[str], n: int = 3) -> str:
    """' Did you mean 'x'?' (or '' when nothing is close)."""
    hits = close_matches(word, candidates, n)
    if not hits:
        return ""
    return " Did you mean " + " or ".join(f"'{h}'" for h in hits) + "?"


# --------------------------------------------------------------------------- YAML with lines


class _Located:
    """Plain Python values from a YAML document, and the line of every path in it."""

    def __init__(self) -> None:
        self.lines: dict[tuple[Any, ...], int] = {}
        self.key_lines: dict[tuple[Any, ...], int] = {}

    def convert(
        self, node: yaml.Node, path: tuple[Any, ...], issues: list[Issue], file: Path
    ) -> Any:
        self.lines[path] = node.start_mark.line + 1
        if isinstance(node, yaml.ScalarNode):
            if node.style is None and node.value in _NULL_WORDS:
                return None
            return node.value
        if isinstance(node, yaml.SequenceNode):
            return [self.convert(n, (*path, i), issues, file) for i, n in enumerate(node.value)]
        if isinstance(node, yaml.MappingNode):
            out: dict[str, Any] = {}
            for key_node, value_node in node.value:
                if not isinstance(key_node, yaml.ScalarNode):
                    issues.append(
                        Issue(file, key_node.start_mark.line + 1, "a key must be a plain text")
                    )
                    continue
                key = key_node.value
                if key in out:
                    issues.append(
                        Issue(
                            file,
                            key_node.start_mark.line + 1,
                            f"key '{key}' is given twice (the first is on line "
                            f"{self.key_lines[(*path, key)]})",
                            "keep one of them",
                        )
                    )
                    continue
                self.key_lines[(*path, key)] = key_node.start_mark.line + 1
                out[key] = self.convert(value_node, (*path, key), issues, file)
            return out
        return None  # pragma: no cover - aliases are resolved by compose

    def line(self, path: tuple[Any, ...]) -> int | None:
        """Line of the value at `path`, or of its nearest parent."""
        p = path
        while p:
            if p in self.key_lines:
                return self.key_lines[p]
            if p in self.lines:
                return self.lines[p]
            p = p[:-1]
        return self.lines.get((), 1)


# --------------------------------------------------------------------------- the model


@dataclass(frozen=True)
class ColumnSpec:
    """How one contract column is filled."""

    name: str
    kind: str  # "from" | "value" | "expr"
    source: str | None = None  # source column (kind "from")
    value: str | None = None  # constant (kind "value")
    expr: str | None = None  # SQL expression (kind "expr")
    map: dict[str, str | None] | None = None
    map_name: str | None = None
    default: str | None = None
    format: str | None = None
    line: int | None = None


@dataclass(frozen=True)
class JoinSpec:
    """A second file joined to the part's rows (left join on equal key columns)."""

    files: tuple[str, ...]
    on: tuple[str, ...]
    prefix: str = ""
    line: int | None = None


@dataclass(frozen=True)
class LatestBy:
    """Keep one row per key: the one with the largest order_by values (then the last in the file)."""

    key: tuple[str, ...]
    order_by: tuple[str, ...] = ()
    line: int | None = None


@dataclass(frozen=True)
class PartSpec:
    """One block feeding an entity: files, their reading options and the column specs."""

    entity: str
    index: int
    files: tuple[str, ...]
    columns: dict[str, ColumnSpec]
    null_values: tuple[str, ...] = ()
    date_format: str | None = None
    timestamp_format: str | None = None
    timezone: str = "UTC"
    csv: dict[str, str] = field(default_factory=dict)
    joins: tuple[JoinSpec, ...] = ()
    filter: str | None = None
    latest_by: LatestBy | None = None
    line: int | None = None
    lines: dict[str, int] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return self.entity if self.index == 0 else f"{self.entity}[{self.index}]"


@dataclass(frozen=True)
class Mapping:
    """A parsed, structurally valid mapping file."""

    path: Path
    name: str
    description: str
    entities: dict[str, tuple[PartSpec, ...]]
    value_maps: dict[str, dict[str, str | None]]


# --------------------------------------------------------------------------- parsing


class _Parser:
    def __init__(self, path: Path, contract: Contract) -> None:
        self.path = path
        self.contract = contract
        self.issues: list[Issue] = []
        self.loc = _Located()

    def add(
        self, where: tuple[Any, ...] | int | None, message: str, fix: str | None = None
    ) -> None:
        line = where if isinstance(where, int) or where is None else self.loc.line(where)
        self.issues.append(Issue(self.path, line, message, fix))

    def unknown_keys(
        self, data: dict[str, Any], allowed: Iterable[str], path: tuple[Any, ...], what: str
    ) -> None:
        allowed = list(allowed)
        for key in data:
            if key not in allowed:
                self.add(
                    (*path, key),
                    f"unknown key '{key}' in {what}.{did_you_mean(key, allowed)}",
                    "use one of: " + ", ".join(allowed),
                )

    # ---- scalars
    def text(self, value: Any, path: tuple[Any, ...], what: str) -> str | None:
        if value is None or isinstance(value, str):
            return value
        self.add(path, f"{what} must be a single text value, not a {_kind(value)}")
        return None

    def text_list(self, value: Any, path: tuple[Any, ...], what: str) -> tuple[str, ...]:
        if value is None:
            return ()
        if isinstance(value, str):
            return (value,)
        if isinstance(value, list) and all(isinstance(v, str) or v is None for v in value):
            return tuple("" if v is None else v for v in value)
        self.add(path, f"{what} must be a text or a list of texts")
        return ()

    def check_format(self, fmt: str | None, path: tuple[Any, ...]) -> None:
        if fmt is None:
            return
        if "%" not in fmt:
            self.add(
                path,
                f"format '{fmt}' has no % directive",
                "write a strptime format such as '%d/%m/%Y %H:%M' (see docs/import.md)",
            )
            return
        for m in re.finditer(r"%(.)", fmt):
            if m.group(1) not in _STRPTIME_DIRECTIVES:
                self.add(
                    path,
                    f"format '{fmt}' has an unknown directive '%{m.group(1)}'",
                    "use strptime directives: %Y year, %m month, %d day, %H hour, %M minute, "
                    "%S second, %p AM/PM, %z offset",
                )

    def check_timezone(self, tz: str | None, path: tuple[Any, ...]) -> None:
        if tz is None:
            return
        try:
            ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError):
            self.add(
                path,
                f"time zone '{tz}' is not an IANA time zone name",
                "write a name such as UTC, Europe/Berlin or America/Sao_Paulo",
            )

    # ---- document
    def parse(self, text: str) -> Mapping | None:
        try:
            node = yaml.compose(text, Loader=yaml.SafeLoader)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            problem = getattr(exc, "problem", None) or str(exc)
            self.add(
                mark.line + 1 if mark else None,
                f"not valid YAML: {problem}",
                "check the indentation and quote values that contain ': ' or start with % or *",
            )
            return None
        if node is None:
            self.add(1, "the mapping file is empty", "start from the example in docs/import.md")
            return None
        doc = self.loc.convert(node, (), self.issues, self.path)
        if not isinstance(doc, dict):
            self.add(1, "a mapping file must be a YAML mapping (key: value lines)")
            return None
        self.unknown_keys(doc, TOP_KEYS, (), "the mapping")
        defaults = self.inherited(doc, (), None)
        value_maps = self.value_maps(doc.get("value_maps"))
        entities_doc = doc.get("entities")
        entities: dict[str, tuple[PartSpec, ...]] = {}
        if not isinstance(entities_doc, dict) or not entities_doc:
            self.add(
                ("entities",) if "entities" in doc else 1,
                "the mapping has no entities",
                "add 'entities:' with one block per contract table the export feeds, "
                "e.g. 'opportunities:' (tables: " + ", ".join(self.contract.names) + ")",
            )
        else:
            for entity, body in entities_doc.items():
                path = ("entities", entity)
                if entity not in self.contract.names:
                    self.add(
                        path,
                        f"unknown entity '{entity}'.{did_you_mean(entity, self.contract.names)}",
                        "entities are the raw contract's tables: " + ", ".join(self.contract.names),
                    )
                    continue
                table = self.contract.table(entity)
                bodies = body if isinstance(body, list) else [body]
                parts = []
                for i, part in enumerate(bodies):
                    ppath = (*path, i) if isinstance(body, list) else path
                    spec = self.part(table, i, part, ppath, defaults, value_maps)
                    if spec is not None:
                        parts.append(spec)
                entities[entity] = tuple(parts)
        if self.issues:
            return None
        return Mapping(
            path=self.path,
            name=str(doc.get("name") or self.path.stem),
            description=str(doc.get("description") or ""),
            entities=entities,
            value_maps=value_maps,
        )

    def inherited(
        self, data: dict[str, Any], path: tuple[Any, ...], parent: dict[str, Any] | None
    ) -> dict[str, Any]:
        out = dict(parent or {"null_values": (), "timezone": "UTC", "csv": {}})
        if "null_values" in data:
            out["null_values"] = self.text_list(
                data["null_values"], (*path, "null_values"), "null_values"
            )
        for key in ("date_format", "timestamp_format", "timezone"):
            if key in data:
                value = self.text(data[key], (*path, key), key)
                if key == "timezone":
                    self.check_timezone(value, (*path, key))
                    out[key] = value or "UTC"
                else:
                    self.check_format(value, (*path, key))
                    out[key] = value
                out[f"{key}__line"] = self.loc.line((*path, key))
        if "csv" in data:
            csv = data["csv"]
            if not isinstance(csv, dict):
                self.add(
                    (*path, "csv"),
                    "csv must be a mapping of read options",
                    "e.g. csv: {delimiter: ';'}",
                )
            else:
                self.unknown_keys(csv, CSV_KEYS, (*path, "csv"), "csv options")
                out["csv"] = {**out["csv"], **{k: str(v) for k, v in csv.items() if k in CSV_KEYS}}
        return out

    def value_maps(self, data: Any) -> dict[str, dict[str, str | None]]:
        if data is None:
            return {}
        if not isinstance(data, dict):
            self.add(
                ("value_maps",),
                "value_maps must be a mapping of named maps",
                "e.g. value_maps: {stages: {Won: won}}",
            )
            return {}
        out = {}
        for name, body in data.items():
            m = self.one_map(body, ("value_maps", name))
            if m is not None:
                out[name] = m
        return out

    def one_map(self, body: Any, path: tuple[Any, ...]) -> dict[str, str | None] | None:
        if not isinstance(body, dict):
            self.add(
                path,
                "a value map must be a mapping 'source value: contract value'",
                "e.g. {Won: won, Lost: lost}",
            )
            return None
        out: dict[str, str | None] = {}
        for k, v in body.items():
            if v is not None and not isinstance(v, str):
                self.add(
                    (*path, k), f"the value map's entry '{k}' must map to one text value or null"
                )
                continue
            out[k] = v
        return out

    def part(
        self,
        table: Table,
        index: int,
        data: Any,
        path: tuple[Any, ...],
        defaults: dict[str, Any],
        value_maps: dict[str, dict[str, str | None]],
    ) -> PartSpec | None:
        if not isinstance(data, dict):
            self.add(path, f"entity '{table.name}' must be a mapping with files: and columns:")
            return None
        self.unknown_keys(data, PART_KEYS, path, f"entity '{table.name}'")
        opts = self.inherited(data, path, defaults)
        files = self.text_list(data.get("files"), (*path, "files"), "files")
        if not files:
            self.add(
                path,
                f"entity '{table.name}' has no files",
                "add 'files: <file name or glob>' relative to the --source folder",
            )
        joins = self.joins(data.get("join"), (*path, "join"))
        filter_sql = self.text(data.get("filter"), (*path, "filter"), "filter")
        latest_by = self.latest_by(data.get("latest_by"), (*path, "latest_by"))
        columns = self.columns(table, data.get("columns"), (*path, "columns"), value_maps, opts)
        lines = {k: self.loc.line((*path, k)) or 0 for k in data}
        for key in ("date_format", "timestamp_format", "timezone"):
            if f"{key}__line" in opts:
                lines.setdefault(key, opts[f"{key}__line"])
        return PartSpec(
            entity=table.name,
            index=index,
            files=files,
            columns=columns,
            null_values=tuple(opts["null_values"]),
            date_format=opts.get("date_format"),
            timestamp_format=opts.get("timestamp_format"),
            timezone=opts["timezone"],
            csv=dict(opts["csv"]),
            joins=joins,
            filter=filter_sql,
            latest_by=latest_by,
            line=self.loc.line(path),
            lines=lines,
        )

    def joins(self, data: Any, path: tuple[Any, ...]) -> tuple[JoinSpec, ...]:
        if data is None:
            return ()
        items = data if isinstance(data, list) else [data]
        out = []
        for i, item in enumerate(items):
            ipath = (*path, i) if isinstance(data, list) else path
            if not isinstance(item, dict):
                self.add(
                    ipath,
                    "join must be a mapping with files: and on:",
                    "e.g. join: {files: deals.csv, on: lead_id}",
                )
                continue
            self.unknown_keys(item, JOIN_KEYS, ipath, "join")
            files = self.text_list(item.get("files"), (*ipath, "files"), "join files")
            on = self.text_list(item.get("on"), (*ipath, "on"), "join on")
            if not files or not on:
                self.add(
                    ipath, "join needs files: and on:", "e.g. join: {files: deals.csv, on: lead_id}"
                )
                continue
            prefix = self.text(item.get("prefix"), (*ipath, "prefix"), "prefix") or ""
            out.append(JoinSpec(files=files, on=on, prefix=prefix, line=self.loc.line(ipath)))
        return tuple(out)

    def latest_by(self, data: Any, path: tuple[Any, ...]) -> LatestBy | None:
        if data is None:
            return None
        if not isinstance(data, dict) or "key" not in data:
            self.add(
                path,
                "latest_by must be a mapping with key: (and optionally order_by:)",
                "e.g. latest_by: {key: number, order_by: [sys_mod_count, sys_updated_at]}",
            )
            return None
        self.unknown_keys(data, LATEST_BY_KEYS, path, "latest_by")
        key = self.text_list(data.get("key"), (*path, "key"), "latest_by key")
        order_by = self.text_list(data.get("order_by"), (*path, "order_by"), "latest_by order_by")
        return LatestBy(key=key, order_by=order_by, line=self.loc.line(path))

    def columns(
        self,
        table: Table,
        data: Any,
        path: tuple[Any, ...],
        value_maps: dict[str, dict[str, str | None]],
        opts: dict[str, Any],
    ) -> dict[str, ColumnSpec]:
        out: dict[str, ColumnSpec] = {}
        if not isinstance(data, dict) or not data:
            self.add(
                path if data is not None else path[:-1],
                f"entity '{table.name}' maps no columns",
                f"add 'columns:' with at least the required ones: {', '.join(table.required_columns)}",
            )
            return out
        suggested: set[str] = set()
        for name, spec in data.items():
            cpath = (*path, name)
            if name not in table.column_names:
                suggested.update(close_matches(name, table.column_names)[:1])
                self.add(
                    cpath,
                    f"'{name}' is not a column of the contract table {table.name}."
                    f"{did_you_mean(name, table.column_names)}",
                    f"its columns are: {', '.join(table.column_names)}",
                )
                continue
            col = self.column(table.column(name), spec, cpath, value_maps)
            if col is not None:
                out[name] = col
        # A misspelt required column is reported once, as the misspelling.
        missing = [c for c in table.required_columns if c not in data and c not in suggested]
        if missing:
            self.add(
                path,
                f"entity '{table.name}' leaves required contract columns unmapped: {', '.join(missing)}",
                "map each to a source column (name: source_column), a constant "
                "({value: ...}) or an SQL expression ({expr: ...})",
            )
        return out

    def column(
        self,
        contract_col: Column,
        spec: Any,
        path: tuple[Any, ...],
        value_maps: dict[str, dict[str, str | None]],
    ) -> ColumnSpec | None:
        name = contract_col.name
        line = self.loc.line(path)
        if spec is None:
            self.add(
                path,
                f"column '{name}' has no source",
                f"write '{name}: <source column>' or '{name}: {{value: ...}}'",
            )
            return None
        if isinstance(spec, str):
            return ColumnSpec(name=name, kind="from", source=spec, line=line)
        if not isinstance(spec, dict):
            self.add(path, f"column '{name}' must be a source column name or a mapping")
            return None
        self.unknown_keys(spec, COLUMN_KEYS, path, f"column '{name}'")
        kinds = [k for k in ("from", "value", "expr") if k in spec]
        if len(kinds) != 1:
            self.add(
                path,
                f"column '{name}' needs exactly one of from:, value: or expr: (found {', '.join(kinds) or 'none'})",
                "from: a source column; value: a constant; expr: an SQL expression over source columns",
            )
            return None
        kind = kinds[0]
        raw = spec[kind]
        if raw is not None and not isinstance(raw, str):
            self.add((*path, kind), f"{kind}: of column '{name}' must be one text value")
            return None
        if kind in ("from", "expr") and not raw:
            self.add((*path, kind), f"{kind}: of column '{name}' is empty")
            return None
        if kind == "value" and ("map" in spec or "default" in spec):
            self.add(
                path,
                f"column '{name}' is a constant: map: and default: do not apply",
                "remove them",
            )
        fmt = self.text(spec.get("format"), (*path, "format"), "format")
        self.check_format(fmt, (*path, "format"))
        vmap, map_name = None, None
        if "map" in spec:
            m = spec["map"]
            if isinstance(m, str):
                if m not in value_maps:
                    self.add(
                        (*path, "map"),
                        f"column '{name}' uses the value map '{m}', which value_maps does not define."
                        f"{did_you_mean(m, value_maps)}",
                        "define it under value_maps: or write the map inline: map: {A: a, B: b}",
                    )
                else:
                    vmap, map_name = value_maps[m], m
            else:
                vmap = self.one_map(m, (*path, "map"))
        default = spec.get("default")
        if default is not None and not isinstance(default, str):
            self.add((*path, "default"), f"default: of column '{name}' must be one text value")
            default = None
        col = ColumnSpec(
            name=name,
            kind=kind,
            source=raw if kind == "from" else None,
            value=raw if kind == "value" else None,
            expr=raw if kind == "expr" else None,
            map=vmap,
            map_name=map_name,
            default=default,
            format=fmt,
            line=line,
        )
        self.check_values(contract_col, col, path)
        return col

    def check_values(self, contract_col: Column, col: ColumnSpec, path: tuple[Any, ...]) -> None:
        """Constants, defaults and value-map targets must be values the contract accepts."""
        candidates: list[tuple[str, tuple[Any, ...]]] = []
        if col.value is not None:
            candidates.append((col.value, (*path, "value")))
        if col.default is not None:
            candidates.append((col.default, (*path, "default")))
        if col.map:
            for k, v in col.map.items():
                if v is not None:
                    mpath = ("value_maps", col.map_name, k) if col.map_name else (*path, "map", k)
                    candidates.append((v, mpath))
        for value, vpath in candidates:
            problem = value_problem(contract_col, value)
            if problem:
                self.add(
                    vpath, f"column '{contract_col.name}': {problem}", _value_fix(contract_col)
                )


def value_problem(col: Column, value: str) -> str | None:
    """Why a constant text is not a valid value of the contract column (None when it is)."""
    if col.accepted_values and value not in col.accepted_values:
        return f"'{value}' is not an accepted value.{did_you_mean(value, col.accepted_values)}"
    if col.data_type == "boolean" and value.strip().lower() not in _BOOL_WORDS:
        return f"'{value}' is not a boolean"
    if col.is_numeric:
        try:
            number = float(value)
        except ValueError:
            return f"'{value}' is not a number"
        if col.data_type in ("integer", "bigint") and number != int(number):
            return f"'{value}' is not a whole number"
        if col.min_value is not None and number < float(col.min_value):
            return f"'{value}' is below the minimum {col.min_value}"
    if col.pattern and not re.search(col.pattern, value):
        return f"'{value}' does not match the pattern {col.pattern}"
    return None


_BOOL_WORDS = {"true", "false", "t", "f", "yes", "no", "y", "n", "1", "0"}


def _value_fix(col: Column) -> str:
    if col.accepted_values:
        return "use one of: " + ", ".join(col.accepted_values)
    return f"give a {col.data_type} value"


def _kind(value: Any) -> str:
    return "list" if isinstance(value, list) else "mapping" if isinstance(value, dict) else "value"


def parse_mapping(text: str, path: Path, contract: Contract | None = None) -> Mapping:
    """Parse the text of a mapping file; raise MappingError listing every problem."""
    parser = _Parser(path, contract or load_contract())
    mapping = parser.parse(text)
    if parser.issues or mapping is None:
        raise MappingError(parser.issues)
    return mapping


def load_mapping(path: Path, contract: Contract | None = None) -> Mapping:
    """Read and parse a mapping file; raise MappingError listing every problem."""
    path = Path(path)
    if not path.is_file():
        raise MappingError(
            [Issue(path, None, "the mapping file does not exist", "check the --mapping path")]
        )
    return parse_mapping(path.read_text(encoding="utf-8"), path, contract)
