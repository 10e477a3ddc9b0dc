"""The raw contract, read from the dbt source YAML that defines it.

models/staging/crm/_crm__sources.yml is the one place where the raw tables,
their columns, types, required fields and accepted values are written. This
module turns it into Python objects that the loader (DDL, casting), the
validator (Great Expectations suites) and the generator use.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path

import yaml

from crm_warehouse.settings import project_root, sql_identifier

CONTRACT_RELPATH = Path("models/staging/crm/_crm__sources.yml")

#: The dates exports write for "no end" (a rep still employed, a campaign still
#: running); on a column flagged open_end they load as null (docs/loading.md).
OPEN_END_DATES: tuple[date, ...] = (date(9999, 12, 31), date(2999, 12, 31))

#: Columns the loader adds to every raw table.
LOADER_COLUMNS: dict[str, str] = {
    "_batch_id": "varchar",
    "_source_file": "varchar",
    "_source_row": "bigint",
    "_loaded_at": "timestamp",
}

#: How a logical contract type is stored in DuckDB's raw schema. Timestamps keep
#: their instant (an offset in the file is honoured); staging converts to UTC.
_DUCKDB_TYPES = {
    "varchar": "varchar",
    "integer": "integer",
    "bigint": "bigint",
    "boolean": "boolean",
    "date": "date",
    "timestamp": "timestamptz",
}


@dataclass(frozen=True)
class Column:
    """One contract column."""

    name: str
    data_type: str
    description: str
    required: bool = False
    accepted_values: tuple[str, ...] | None = None
    min_value: float | None = None
    pattern: str | None = None
    #: an end date whose null means "no end yet" (meta open_end): the open-end
    #: dates exports write for that (9999-12-31, 2999-12-31) load as null
    open_end: bool = False

    @property
    def duckdb_type(self) -> str:
        """The DuckDB type of the column in raw.<table>."""
        if self.data_type.startswith("decimal"):
            return self.data_type
        return _DUCKDB_TYPES[self.data_type]

    @property
    def is_identifier(self) -> bool:
        """A record's id or a reference to one (a text column named `*_id`):
        loaded without the spaces around it, so ' O2 ' joins and repeats 'O2'."""
        return self.data_type == "varchar" and self.name.endswith("_id")

    @property
    def is_numeric(self) -> bool:
        return self.data_type in ("integer", "bigint") or self.data_type.startswith("decimal")


def whole_float_id_sql(expr: str) -> str:
    """The text of an identifier stored as floating point (`expr` FLOAT or
    DOUBLE): a whole number without its `.0` (123.0 is the id '123' a CSV or an
    integer column writes; pandas writes whole numbers with gaps as float64),
    any other value as DuckDB writes it."""
    return (
        f"case when isfinite({expr}) and {expr} = trunc({expr}) and abs({expr}) < 9007199254740992"
        f" then cast(cast({expr} as bigint) as varchar) else cast({expr} as varchar) end"
    )


@dataclass(frozen=True)
class Table:
    """One contract table (a CRM entity)."""

    name: str
    description: str
    columns: tuple[Column, ...]
    primary_key: str
    version_column: str | None = None
    soft_delete: str | None = None
    _by_name: dict[str, Column] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        self._by_name.update({c.name: c for c in self.columns})

    def column(self, name: str) -> Column:
        return self._by_name[name]

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def identifiers(self) -> set[str]:
        """The record's key and its references (Column.is_identifier)."""
        return {c.name for c in self.columns if c.is_identifier or c.name == self.primary_key}

    @property
    def required_columns(self) -> list[str]:
        return [c.name for c in self.columns if c.required]

    def create_table_sql(self, schema: str = "raw") -> str:
        """DDL of raw.<table>: the contract columns, then the loader's own."""
        cols = [f"{sql_identifier(c.name)} {c.duckdb_type}" for c in self.columns]
        cols += [f"{sql_identifier(n)} {t}" for n, t in LOADER_COLUMNS.items()]
        return (
            f"create table if not exists {schema}.{sql_identifier(self.name)} (\n    "
            + ",\n    ".join(cols)
            + "\n)"
        )


@dataclass(frozen=True)
class Contract:
    """All tables of the raw contract, in the order the YAML lists them."""

    tables: tuple[Table, ...]
    source_name: str
    schema: str

    def table(self, name: str) -> Table:
        for t in self.tables:
            if t.name == name:
                return t
        raise KeyError(
            f"'{name}' is not a table of the raw contract; known: {', '.join(self.names)}"
        )

    @property
    def names(self) -> list[str]:
        return [t.name for t in self.tables]


def _meta(node: dict) -> dict:
    config = node.get("config") or {}
    return {**(node.get("meta") or {}), **(config.get("meta") or {})}


def _open_end(table: str, node: dict, meta: dict) -> bool:
    """The column's open_end flag, checked: only a date or timestamp whose null
    is allowed (an open end loads as null) may have it."""
    flag = bool(meta.get("open_end", False))
    if flag and (
        meta.get("required") or str(node["data_type"]).lower() not in ("date", "timestamp")
    ):
        raise ValueError(
            f"table {table}: column {node['name']} has open_end but is not an optional date"
            " or timestamp (an open end loads as null)"
        )
    return flag


def parse_contract(text: str) -> Contract:
    """Parse the contract from the text of the dbt source YAML."""
    doc = yaml.safe_load(text)
    (source,) = [s for s in doc["sources"] if s["name"] == "crm"]
    tables = []
    for t in source["tables"]:
        tmeta = _meta(t)
        columns = []
        for c in t["columns"]:
            cmeta = _meta(c)
            accepted = cmeta.get("accepted_values")
            columns.append(
                Column(
                    name=c["name"],
                    data_type=str(c["data_type"]).lower(),
                    description=c.get("description", "").strip(),
                    required=bool(cmeta.get("required", False)),
                    accepted_values=tuple(str(v) for v in accepted) if accepted else None,
                    min_value=cmeta.get("min_value"),
                    pattern=cmeta.get("pattern"),
                    open_end=_open_end(t["name"], c, cmeta),
                )
            )
        pk = tmeta["primary_key"]
        if pk not in {c.name for c in columns}:
            raise ValueError(f"table {t['name']}: primary_key {pk} is not a column")
        tables.append(
            Table(
                name=t["name"],
                description=t.get("description", "").strip(),
                columns=tuple(columns),
                primary_key=pk,
                version_column=tmeta.get("version_column"),
                soft_delete=tmeta.get("soft_delete"),
            )
        )
    return Contract(
        tables=tuple(tables), source_name=source["name"], schema=source.get("schema", "raw")
    )


@cache
def load_contract(path: Path | None = None) -> Contract:
    """The project's raw contract (cached)."""
    path = path or project_root() / CONTRACT_RELPATH
    return parse_contract(path.read_text(encoding="utf-8"))


def contract_markdown(contract: Contract) -> str:
    """The contract as a Markdown reference for people mapping their own CRM
    export onto it (docs/raw_contract.md is this text; a test keeps it in sync)."""
    lines = [
        "# The raw contract",
        "",
        "<!-- Generated from models/staging/crm/_crm__sources.yml by "
        "`crm-warehouse contract --markdown > docs/raw_contract.md`. Do not edit by hand. -->",
        "",
        "Every file landed in `landing/<table>/` must have a header (CSV) or field names",
        "(Parquet, JSON lines) that are the column names below. Columns marked *required*",
        "must be present in the file and filled on every row; the others may be missing",
        "from the file (loaded as null). Extra columns are ignored with a warning.",
        "",
        "Types are checked on load: `date` is `YYYY-MM-DD`; `timestamp` is ISO-8601",
        "(`2024-03-01 12:00:00`, `2024-03-01T12:00:00+02:00`; no offset means UTC);",
        "`boolean` is true/false, 1/0, t/f or yes/no; decimals use a dot.",
        "A row that breaks a rule is quarantined with its reason; the rest of the file loads.",
        "",
        "| table | key | versions | soft delete | columns |",
        "|---|---|---|---|---|",
    ]
    for t in contract.tables:
        lines.append(
            f"| [{t.name}](#{t.name}) | `{t.primary_key}` | {t.version_column or '—'} "
            f"| {t.soft_delete or '—'} | {len(t.columns)} |"
        )
    for t in contract.tables:
        lines += ["", f"## {t.name}", "", t.description, ""]
        notes = [f"Key: `{t.primary_key}` (unique within a file)."]
        if t.version_column:
            notes.append(
                f"Several versions of a key may arrive over time; the one with the "
                f"largest `{t.version_column}` wins."
            )
        if t.soft_delete:
            notes.append(f"`{t.soft_delete}` = true marks a deleted record.")
        lines += [
            " ".join(notes),
            "",
            "| column | type | rules | description |",
            "|---|---|---|---|",
        ]
        for c in t.columns:
            rules = []
            if c.required:
                rules.append("required")
            if c.accepted_values:
                rules.append("one of " + ", ".join(f"`{v}`" for v in c.accepted_values))
            if c.min_value is not None:
                rules.append(f">= {c.min_value}")
            if c.pattern:
                rules.append(f"matches `{c.pattern}`")
            if c.open_end:
                rules.append(
                    "open end: " + ", ".join(f"`{d}`" for d in OPEN_END_DATES) + " load as null"
                )
            description = " ".join(c.description.split())
            lines.append(f"| `{c.name}` | {c.data_type} | {'; '.join(rules)} | {description} |")
    return "\n".join(lines) + "\n"
