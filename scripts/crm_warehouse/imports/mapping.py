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
that compile) live in `crm_warehouse.imports.importer`.

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
from crm_warehouse.settings import project_root

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
    "numbers",
    "seed_rows",
)
#: Keys that may be set at the top (defaults for every entity) or per entity.
INHERITED_KEYS = ("null_values", "date_format", "timestamp_format", "timezone", "csv", "numbers")
#: Keys of one entity block (one "part"; an entity may list several parts).
PART_KEYS = ("description", "files", "join", "filter", "latest_by", "columns", *INHERITED_KEYS)
#: Keys of a column given as a mapping.
COLUMN_KEYS = ("from", "expr", "value", "map", "default", "format", "numbers", "when")
JOIN_KEYS = ("files", "on", "prefix")
LATEST_BY_KEYS = ("key", "order_by")
#: Options passed to DuckDB's read_csv.
CSV_KEYS = (
    "delimiter",
    "quote",
    "escape",
    "encoding",
    "skip",
    "header",
    "skip_header_lines",
    "skip_footer_lines",
    "stop_at_blank_line",
)
#: csv options that take a whole number of lines.
CSV_LINE_KEYS = ("skip", "skip_header_lines", "skip_footer_lines")
#: Keys of a numbers: block (how the export writes numbers).
NUMBER_KEYS = ("decimal", "thousands", "currency_symbols", "percent")
#: Seeds a mapping may add rows to (seed_rows:), read from seeds/<name>.csv.
SEED_ROW_SEEDS = ("stages", "lead_sources")
#: `typed.<contract column>` in an expr: or when: is that column's converted value.
TYPED_REF_RE = re.compile(r'\btyped\.(?:"([^"]+)"|([A-Za-z_][A-Za-z0-9_]*))')

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
class NumberFormat:
    """How an export writes numbers: `$1,234.50`, `1.234,5 €`, `(300)`, `12%`."""

    decimal: str = "."
    thousands: str | None = None
    currency_symbols: tuple[str, ...] = ()
    percent: bool = False
    line: int | None = None  # where numbers: is set (the closest level)

    def as_yaml(self) -> str:
        """The flow-style YAML of this format (for messages)."""
        parts = [f"decimal: {_yaml_text(self.decimal)}"]
        if self.thousands:
            parts.append(f"thousands: {_yaml_text(self.thousands)}")
        if self.currency_symbols:
            syms = ", ".join(_yaml_text(c) for c in self.currency_symbols)
            parts.append(f"currency_symbols: [{syms}]")
        if self.percent:
            parts.append("percent: true")
        return "{" + ", ".join(parts) + "}"


def _yaml_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


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
    numbers: NumberFormat | None = None  # how the export writes this column's numbers
    when: str | None = None  # SQL condition: the value where true, null elsewhere
    #: Contract columns this spec reads as `typed.<column>` (in expr: or when:).
    typed_refs: tuple[str, ...] = ()


@dataclass(frozen=True)
class JoinSpec:
    """A second file joined to the part's rows (left join on equal key columns).

    `on` names the part's key columns, `right_on` the joined file's (the same
    names unless on: was a mapping `{Left Column: Right Column}`).
    """

    files: tuple[str, ...]
    on: tuple[str, ...]
    prefix: str = ""
    line: int | None = None
    right_on: tuple[str, ...] = ()

    @property
    def pairs(self) -> tuple[tuple[str, str], ...]:
        return tuple(zip(self.on, self.right_on or self.on, strict=True))


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
    numbers: NumberFormat | None = None

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
    #: Rows the mapping adds to seeds (seed_rows:): seed name -> rows with
    #: every column of seeds/<seed>.csv, raw names lower-cased and trimmed.
    seed_rows: dict[str, list[dict[str, str]]] = field(default_factory=dict)
    seed_rows_line: int | None = None


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

    def files(self, value: Any, path: tuple[Any, ...], what: str) -> tuple[str, ...]:
        """The file patterns that stay inside --source (the others reported and left out)."""
        kept = []
        for i, pattern in enumerate(self.text_list(value, path, what)):
            problem = path_problem(pattern)
            if problem:
                where = (*path, i) if isinstance(value, list) else path
                self.add(
                    where,
                    f"{what}: '{pattern}' is refused: {problem}; a mapping reads only files "
                    "inside the --source folder",
                    "write the file name or glob relative to --source (e.g. 'deals.csv' or "
                    "'exports/*.csv'), or point --source at the folder holding the files",
                )
            else:
                kept.append(pattern)
        return tuple(kept)

    def sql(self, value: Any, path: tuple[Any, ...], what: str) -> str | None:
        """An SQL text that is one sandboxed expression (None, reported, when it is not)."""
        text = self.text(value, path, what)
        if not text:
            return text
        problem = sql_expression_problem(text)
        if problem:
            self.add(
                path,
                f"{what}: the SQL '{_clip(text)}' is refused: {problem}",
                "write one DuckDB expression over the source columns, with functions that "
                "compute on the row's values (no ';', statement, subquery or file, system "
                "or network function; the allowed functions are listed in docs/import.md, "
                "'The mapping sandbox'); bring another file's columns with join:",
            )
            return None
        return text

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
        seed_rows = self.seed_rows(doc.get("seed_rows"), ("seed_rows",))
        return Mapping(
            path=self.path,
            name=str(doc.get("name") or self.path.stem),
            description=str(doc.get("description") or ""),
            entities=entities,
            value_maps=value_maps,
            seed_rows=seed_rows,
            seed_rows_line=self.loc.line(("seed_rows",)) if "seed_rows" in doc else None,
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
                good = {}
                for k, v in csv.items():
                    if k not in CSV_KEYS:
                        continue
                    if k in CSV_LINE_KEYS and not (isinstance(v, str) and v.isdigit()):
                        self.add(
                            (*path, "csv", k),
                            f"csv option {k} must be a whole number of lines, not {v!r}",
                            f"e.g. csv: {{{k}: 3}}",
                        )
                        continue
                    if k in ("stop_at_blank_line", "header") and (
                        not isinstance(v, str) or v.strip().lower() not in _BOOL_WORDS
                    ):
                        self.add(
                            (*path, "csv", k),
                            f"csv option {k} must be true or false, not {v!r}",
                            f"e.g. csv: {{{k}: true}}",
                        )
                        continue
                    good[k] = str(v)
                if "skip" in good and "skip_header_lines" in good:
                    self.add(
                        (*path, "csv", "skip"),
                        "csv options skip and skip_header_lines say the same thing",
                        "keep skip_header_lines only",
                    )
                if "skip" in good:  # the older name
                    good["skip_header_lines"] = good.pop("skip")
                out["csv"] = {**out["csv"], **good}
        if "numbers" in data:
            nums = self.numbers_dict(data["numbers"], (*path, "numbers"))
            if nums is not None:
                out["numbers"] = {**out.get("numbers", {}), **nums}
                out["numbers__line"] = self.loc.line((*path, "numbers"))
        return out

    def numbers_dict(self, data: Any, path: tuple[Any, ...]) -> dict[str, Any] | None:
        """The valid keys of a numbers: block (problems reported)."""
        example = "e.g. numbers: {decimal: ',', thousands: '.', currency_symbols: ['€']}"
        if not isinstance(data, dict):
            self.add(path, "numbers must be a mapping of number-format options", example)
            return None
        self.unknown_keys(data, NUMBER_KEYS, path, "numbers")
        out: dict[str, Any] = {}
        if "decimal" in data:
            dec = data["decimal"]
            if dec not in (".", ","):
                self.add(
                    (*path, "decimal"),
                    f"numbers: decimal must be '.' or ',', not {dec!r}",
                    "quote it: decimal: ','",
                )
            else:
                out["decimal"] = dec
        if "thousands" in data:
            th = data["thousands"]
            if th is not None and th not in (",", ".", " ", "'", "_"):
                self.add(
                    (*path, "thousands"),
                    f"numbers: thousands must be one of ',', '.', ' ', \"'\" or null, not {th!r}",
                    "quote it: thousands: ','",
                )
            else:
                out["thousands"] = th
        if "currency_symbols" in data:
            syms = self.text_list(
                data["currency_symbols"], (*path, "currency_symbols"), "currency_symbols"
            )
            if any(not c.strip() or any(ch.isdigit() for ch in c) for c in syms):
                self.add(
                    (*path, "currency_symbols"),
                    "numbers: a currency symbol must be a non-blank text without digits",
                    "e.g. currency_symbols: ['$', '€', 'R$', 'USD']",
                )
            else:
                out["currency_symbols"] = tuple(c.strip() for c in syms)
        if "percent" in data:
            pct = data["percent"]
            if not isinstance(pct, str) or pct.strip().lower() not in _BOOL_WORDS:
                self.add((*path, "percent"), "numbers: percent must be true or false")
            else:
                out["percent"] = pct.strip().lower() in _BOOL_TRUE_WORDS
        return out

    def number_format(
        self, nums: dict[str, Any] | None, line: int | None, path: tuple[Any, ...]
    ) -> NumberFormat | None:
        if nums is None:
            return None
        fmt = NumberFormat(
            decimal=nums.get("decimal", "."),
            thousands=nums.get("thousands"),
            currency_symbols=tuple(nums.get("currency_symbols", ())),
            percent=bool(nums.get("percent", False)),
            line=line,
        )
        if fmt.thousands == fmt.decimal:
            self.add(
                path,
                f"numbers: thousands and decimal are both '{fmt.decimal}'",
                "a decimal comma goes with thousands: '.' or ' ' (or none)",
            )
        return fmt

    def seed_rows(self, data: Any, path: tuple[Any, ...]) -> dict[str, list[dict[str, str]]]:
        """Rows the mapping adds to the stage and lead-source seeds."""
        if data is None:
            return {}
        if not isinstance(data, dict):
            self.add(
                path,
                "seed_rows must be a mapping 'seed name: list of rows'",
                "e.g. seed_rows: {stages: [{raw_stage_name: value proposition, ...}]}",
            )
            return {}
        out: dict[str, list[dict[str, str]]] = {}
        for seed, rows in data.items():
            spath = (*path, seed)
            if seed not in SEED_ROW_SEEDS:
                self.add(
                    spath,
                    f"seed_rows: unknown seed '{seed}'.{did_you_mean(seed, SEED_ROW_SEEDS)}",
                    "a mapping may add rows to: " + ", ".join(SEED_ROW_SEEDS),
                )
                continue
            info = seed_info(seed)
            header = ", ".join(info.columns)
            if not isinstance(rows, list):
                self.add(
                    spath,
                    f"seed_rows: {seed} must be a list of rows",
                    f"write one '- {{...}}' per row with the columns {header}",
                )
                continue
            kept: list[dict[str, str]] = []
            for i, row in enumerate(rows):
                rpath = (*spath, i)
                got = self.seed_row(seed, info, row, rpath, header)
                if got is None:
                    continue
                key = got[info.columns[0]]
                earlier = [r for r in kept if r[info.columns[0]] == key]
                if earlier:
                    self.add(
                        rpath,
                        f"seed_rows: {seed} gives '{key}' twice",
                        "keep one of the rows",
                    )
                    continue
                known = info.rows.get(key)
                if known is not None:
                    same = all(
                        (known.get(c) or "").strip().lower() == (got.get(c) or "").strip().lower()
                        for c in info.columns
                    )
                    if not same:
                        self.add(
                            rpath,
                            f"seed_rows: '{key}' is already in seeds/{seed}.csv, as "
                            + ", ".join(f"{c}={known.get(c)}" for c in info.columns[1:]),
                            "remove the row (a mapping may only add raw values the seed does "
                            "not know), or translate the value with a value map",
                        )
                        continue
                    continue  # the seed has it already: nothing to add (a union stays unique)
                kept.append(got)
            out[seed] = kept
        return out

    def seed_row(
        self, seed: str, info: SeedInfo, row: Any, path: tuple[Any, ...], header: str
    ) -> dict[str, str] | None:
        if not isinstance(row, dict):
            self.add(path, f"seed_rows: a row of {seed} must be a mapping", f"columns: {header}")
            return None
        ok = True
        for key in row:
            if key not in info.columns:
                ok = False
                self.add(
                    (*path, key),
                    f"seed_rows: '{key}' is not a column of seeds/{seed}.csv."
                    f"{did_you_mean(key, info.columns)}",
                    f"its columns are: {header}",
                )
        missing = [c for c in info.columns if row.get(c) in (None, "")]
        if missing:
            ok = False
            self.add(
                path,
                f"seed_rows: a row of {seed} leaves {', '.join(missing)} empty",
                f"give every column of seeds/{seed}.csv: {header}",
            )
        if not ok:
            return None
        got: dict[str, str] = {}
        for c in info.columns:
            value = row[c]
            if not isinstance(value, str):
                self.add((*path, c), f"seed_rows: {seed}.{c} must be one text value")
                return None
            value = value.strip()
            if c == info.columns[0]:
                value = value.lower()
            problem = info.problem(c, value)
            if problem:
                self.add((*path, c), f"seed_rows: {seed}.{c}: {problem}", info.fix(c))
                return None
            got[c] = value
        return got

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
        before = len(self.issues)
        files = self.files(data.get("files"), (*path, "files"), "files")
        if not files and len(self.issues) == before:
            self.add(
                path,
                f"entity '{table.name}' has no files",
                "add 'files: <file name or glob>' relative to the --source folder",
            )
        joins = self.joins(data.get("join"), (*path, "join"))
        filter_sql = self.sql(data.get("filter"), (*path, "filter"), "filter")
        latest_by = self.latest_by(data.get("latest_by"), (*path, "latest_by"))
        numbers = self.number_format(opts.get("numbers"), opts.get("numbers__line"), path)
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
            numbers=numbers,
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
            before = len(self.issues)
            files = self.files(item.get("files"), (*ipath, "files"), "join files")
            raw_on = item.get("on")
            if isinstance(raw_on, dict):
                bad = [k for k, v in raw_on.items() if not isinstance(v, str) or not v]
                if bad:
                    self.add(
                        (*ipath, "on"),
                        f"join on: '{bad[0]}' must name one column of the joined file",
                        "e.g. on: {AccountId: Id} (the part's column: the joined file's column)",
                    )
                    continue
                on = tuple(raw_on)
                right_on = tuple(raw_on.values())
            else:
                on = self.text_list(raw_on, (*ipath, "on"), "join on")
                right_on = on
            if not files and len(self.issues) > before:
                continue  # its paths are refused (reported)
            if not files or not on:
                self.add(
                    ipath, "join needs files: and on:", "e.g. join: {files: deals.csv, on: lead_id}"
                )
                continue
            prefix = self.text(item.get("prefix"), (*ipath, "prefix"), "prefix") or ""
            out.append(
                JoinSpec(
                    files=files,
                    on=on,
                    prefix=prefix,
                    line=self.loc.line(ipath),
                    right_on=right_on,
                )
            )
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
            col = self.column(table.column(name), spec, cpath, value_maps, opts)
            if col is not None:
                out[name] = col
        self.check_typed_refs(table, out)
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

    def check_typed_refs(self, table: Table, columns: dict[str, ColumnSpec]) -> None:
        """typed.<column> must name another column of the block that itself reads no typed value."""
        for spec in columns.values():
            for ref in spec.typed_refs:
                where = spec.line
                if ref not in columns:
                    self.add(
                        where,
                        f"column '{spec.name}' reads typed.{ref}, but this block does not map "
                        f"'{ref}'.{did_you_mean(ref, columns)}",
                        "typed.<column> is the converted value of another contract column of the "
                        "same block: " + ", ".join(columns),
                    )
                elif ref == spec.name:
                    self.add(where, f"column '{spec.name}' reads its own typed value")
                elif columns[ref].typed_refs:
                    self.add(
                        where,
                        f"column '{spec.name}' reads typed.{ref}, which itself reads typed values",
                        f"write {ref}'s expression in terms of source columns (one level only)",
                    )

    def column(
        self,
        contract_col: Column,
        spec: Any,
        path: tuple[Any, ...],
        value_maps: dict[str, dict[str, str | None]],
        opts: dict[str, Any] | None = None,
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
        opts = opts or {}
        if isinstance(spec, str):
            numbers = None
            if contract_col.is_numeric:
                numbers = self.number_format(opts.get("numbers"), opts.get("numbers__line"), path)
            return ColumnSpec(name=name, kind="from", source=spec, line=line, numbers=numbers)
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
        if kind == "expr" and self.sql(raw, (*path, kind), f"expr: of column '{name}'") is None:
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
        nums_dict = opts.get("numbers")
        nums_line = opts.get("numbers__line")
        if "numbers" in spec:
            own = self.numbers_dict(spec["numbers"], (*path, "numbers"))
            if own is not None:
                nums_dict = {**(nums_dict or {}), **own}
                nums_line = self.loc.line((*path, "numbers"))
            if not contract_col.is_numeric:
                self.add(
                    (*path, "numbers"),
                    f"column '{name}' is {contract_col.data_type}: numbers: applies to number columns",
                    "remove it",
                )
        # A constant is contract text (a dot for decimals): numbers: is the export's format.
        numbers = (
            self.number_format(nums_dict, nums_line, path)
            if contract_col.is_numeric and kind != "value"
            else None
        )
        when = self.text(spec.get("when"), (*path, "when"), "when")
        if "when" in spec and not when:
            self.add((*path, "when"), f"when: of column '{name}' is empty")
        elif when and self.sql(when, (*path, "when"), f"when: of column '{name}'") is None:
            return None
        refs: list[str] = []
        for sql in (raw if kind == "expr" else None, when):
            for m in TYPED_REF_RE.finditer(sql or ""):
                ref = m.group(1) or m.group(2)
                if ref not in refs:
                    refs.append(ref)
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
            numbers=numbers,
            when=when or None,
            typed_refs=tuple(refs),
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
_BOOL_TRUE_WORDS = {"true", "t", "yes", "y", "1"}


def _value_fix(col: Column) -> str:
    if col.accepted_values:
        return "use one of: " + ", ".join(col.accepted_values)
    return f"give a {col.data_type} value"


def _clip(text: str, limit: int = 120) -> str:
    one = " ".join(text.split())
    return one if len(one) <= limit else one[: limit - 1] + "…"


def _kind(value: Any) -> str:
    return "list" if isinstance(value, list) else "mapping" if isinstance(value, dict) else "value"


def parse_mapping_partial(
    text: str, path: Path, contract: Contract | None = None
) -> tuple[Mapping | None, list[Issue]]:
    """Parse what can be parsed and list every problem (no exception).

    The mapping leaves out the blocks and columns that have problems, so the
    checks against the source files can still run on the rest: `--check`
    reports everything in one pass.
    """
    parser = _Parser(path, contract or load_contract())
    mapping = parser.parse(text)
    return mapping, parser.issues


def parse_mapping(text: str, path: Path, contract: Contract | None = None) -> Mapping:
    """Parse the text of a mapping file; raise MappingError listing every problem."""
    mapping, issues = parse_mapping_partial(text, path, contract)
    if issues or mapping is None:
        raise MappingError(issues)
    return mapping


def load_mapping_partial(
    path: Path, contract: Contract | None = None
) -> tuple[Mapping | None, list[Issue]]:
    """Read a mapping file; the parsable part and every problem (see parse_mapping_partial)."""
    path = Path(path)
    if not path.is_file():
        return None, [
            Issue(path, None, "the mapping file does not exist", "check the --mapping path")
        ]
    return parse_mapping_partial(path.read_text(encoding="utf-8"), path, contract)


def load_mapping(path: Path, contract: Contract | None = None) -> Mapping:
    """Read and parse a mapping file; raise MappingError listing every problem."""
    mapping, issues = load_mapping_partial(path, contract)
    if issues or mapping is None:
        raise MappingError(issues)
    return mapping


# --------------------------------------------------------------------------- seeds


@dataclass(frozen=True)
class SeedInfo:
    """A seed's columns (header of seeds/<name>.csv), its rows by raw key and its column rules."""

    name: str
    columns: tuple[str, ...]
    rows: dict[str, dict[str, str]]
    types: dict[str, str]
    accepted: dict[str, tuple[str, ...]]

    def problem(self, column: str, value: str) -> str | None:
        accepted = self.accepted.get(column)
        if accepted and value not in accepted:
            return f"'{value}' is not an accepted value.{did_you_mean(value, accepted)}"
        dtype = self.types.get(column, "varchar").lower()
        if dtype == "boolean" and value.lower() not in ("true", "false"):
            return f"'{value}' is not true or false"
        if dtype == "integer" and not re.fullmatch(r"-?\d+", value):
            return f"'{value}' is not a whole number"
        if dtype.startswith("decimal"):
            try:
                float(value)
            except ValueError:
                return f"'{value}' is not a number (write it with a dot)"
        return None

    def fix(self, column: str) -> str:
        accepted = self.accepted.get(column)
        if accepted:
            return "use one of: " + ", ".join(accepted)
        return f"give a {self.types.get(column, 'text')} value, as in seeds/{self.name}.csv"


def seed_info(name: str, root: Path | None = None) -> SeedInfo:
    """Columns, rows and rules of seeds/<name>.csv (types and accepted values from seeds/_seeds.yml)."""
    import csv as _csv

    folder = (root or project_root()) / "seeds"
    with (folder / f"{name}.csv").open(encoding="utf-8", newline="") as fh:
        reader = _csv.DictReader(fh)
        columns = tuple(reader.fieldnames or ())
        rows = {(r[columns[0]] or "").strip().lower(): dict(r) for r in reader if r.get(columns[0])}
    types: dict[str, str] = {}
    accepted: dict[str, tuple[str, ...]] = {}
    meta = yaml.safe_load((folder / "_seeds.yml").read_text(encoding="utf-8")) or {}
    for seed in meta.get("seeds", []):
        if seed.get("name") != name:
            continue
        types = {k: str(v) for k, v in (seed.get("config", {}).get("column_types") or {}).items()}
        for col in seed.get("columns", []):
            for test in col.get("data_tests") or []:
                if isinstance(test, dict) and "accepted_values" in test:
                    body = test["accepted_values"]
                    values = (body.get("arguments") or body).get("values") or []
                    accepted[col["name"]] = tuple(str(v) for v in values)
    return SeedInfo(name, columns, rows, types, accepted)


# --------------------------------------------------------------------------- sandbox

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
