"""What a mapping file is: its keys, the parsed model and its problems.

The vocabulary of a mapping (the keys allowed at each level, the csv and
numbers options, the words for true and false, `typed.<column>` references,
the date formats tried when suggesting a fix), the frozen dataclasses a parsed
mapping is made of (`Mapping`, `PartSpec`, `ColumnSpec`, `JoinSpec`,
`LatestBy`, `NumberFormat`), and how a problem is reported: an `Issue` naming
the file, the line and the fix; all of them raised together as one
`MappingError`, with "did you mean" suggestions. Parsing lives in
`crm_warehouse.imports.mapping`.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

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
COLUMN_KEYS = (
    "from",
    "expr",
    "value",
    "map",
    "default",
    "format",
    "numbers",
    "when",
    "optional",
)
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

#: Words a mapping may write for true and false (csv and numbers options, constants).
BOOL_WORDS = {"true", "false", "t", "f", "yes", "no", "y", "n", "1", "0"}
BOOL_TRUE_WORDS = {"true", "t", "yes", "y", "1"}


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
    #: optional: true (kind "from" only): an export without the source column
    #: leaves the contract column null, with a note, instead of failing the check.
    optional: bool = False


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
