"""Mapping files: how a CRM export's columns become the raw contract's.

A mapping is a short YAML file (see docs/import.md) that says which source
file feeds which contract entity, and how each contract column is filled: from
a source column (renamed, its values translated through a value map), from a
constant, or from a SQL expression over the source columns. It also gives the
export's date and timestamp formats, its time zone, the markers it uses for a
missing value, and how to keep one row per record when the export holds
several (an event log).

This module parses a mapping (`MappingParser`, built on the parsers of the
options, columns and seed rows) and checks everything that can be checked without
the source files: known keys, entities and contract columns, required columns
mapped, constants and value-map targets within the contract's accepted values,
time zones and the syntax of strptime formats. Every problem becomes an
`Issue` naming the mapping file, the YAML line and the fix; all of them are
raised together as one `MappingError`. The checks that need the source files
(columns present in the header, formats that match the values, expressions
that compile) live in `crm_warehouse.imports.check`.

The contract's tables and columns come from `load_contract()`; nothing here
repeats them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from crm_warehouse.imports.columns import ColumnParser
from crm_warehouse.imports.seeds import SeedRowsParser
from crm_warehouse.imports.spec import (
    JOIN_KEYS,
    LATEST_BY_KEYS,
    PART_KEYS,
    TOP_KEYS,
    Issue,
    JoinSpec,
    LatestBy,
    Mapping,
    MappingError,
    PartSpec,
    did_you_mean,
)
from crm_warehouse.ingest.contract import Contract, Table, load_contract


class MappingParser(ColumnParser, SeedRowsParser):
    """Parses a whole mapping file: its top level, entity blocks, joins and latest_by."""

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


def parse_mapping_partial(
    text: str, path: Path, contract: Contract | None = None
) -> tuple[Mapping | None, list[Issue]]:
    """Parse what can be parsed and list every problem (no exception).

    The mapping leaves out the blocks and columns that have problems, so the
    checks against the source files can still run on the rest: `--check`
    reports everything in one pass.
    """
    parser = MappingParser(path, contract or load_contract())
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
