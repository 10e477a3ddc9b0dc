"""How each contract column is filled: the columns: block of an entity.

`ColumnParser` builds one `ColumnSpec` per contract column from a source column
name or a mapping (from:, value:, expr:, map:, default:, format:, numbers:,
when:, optional:), checks the named value maps, the `typed.<column>` references between
columns, that every required contract column is mapped, and that constants,
defaults and value-map targets are values the contract accepts
(`value_problem`).
"""

from __future__ import annotations

import re
from typing import Any

from crm_warehouse.imports.options import OptionParser
from crm_warehouse.imports.spec import (
    BOOL_TRUE_WORDS,
    BOOL_WORDS,
    COLUMN_KEYS,
    TYPED_REF_RE,
    ColumnSpec,
    NumberFormat,
    close_matches,
    did_you_mean,
)
from crm_warehouse.ingest.contract import Column, Table


class ColumnParser(OptionParser):
    """Parses value maps and the columns: of an entity block."""

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
        """How one contract column is filled: a source column name, or a mapping with one
        of from:, value: or expr: (None, the problems reported, when it cannot be used)."""
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
        source = self._source_of(name, spec, path)
        if source is None:
            return None
        kind, raw = source
        if kind == "value" and ("map" in spec or "default" in spec):
            self.add(
                path,
                f"column '{name}' is a constant: map: and default: do not apply",
                "remove them",
            )
        fmt = self.text(spec.get("format"), (*path, "format"), "format")
        self.check_format(fmt, (*path, "format"))
        vmap, map_name = self._map_of(name, spec, path, value_maps)
        default = spec.get("default")
        if default is not None and not isinstance(default, str):
            self.add((*path, "default"), f"default: of column '{name}' must be one text value")
            default = None
        numbers = self._numbers_of(contract_col, spec, kind, path, opts)
        optional = self._optional_of(contract_col, spec, kind, path)
        when = self.text(spec.get("when"), (*path, "when"), "when")
        if "when" in spec and not when:
            self.add((*path, "when"), f"when: of column '{name}' is empty")
        elif when and self.sql(when, (*path, "when"), f"when: of column '{name}'") is None:
            return None
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
            typed_refs=_typed_refs(raw if kind == "expr" else None, when),
            optional=optional,
        )
        self.check_values(contract_col, col, path)
        return col

    def _source_of(
        self, name: str, spec: dict[str, Any], path: tuple[Any, ...]
    ) -> tuple[str, str | None] | None:
        """The kind ("from", "value" or "expr") of a column's spec and its text."""
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
        return kind, raw

    def _optional_of(
        self, contract_col: Column, spec: dict[str, Any], kind: str, path: tuple[Any, ...]
    ) -> bool:
        """optional: true: the export may lack the from: column (then the column is null).

        Only a from: column can be missing from an export, and only a column the
        raw contract does not require may be left null.
        """
        if "optional" not in spec:
            return False
        opath = (*path, "optional")
        where = f"{_entity_of(path)}column '{contract_col.name}'"
        flag = spec["optional"]
        if not isinstance(flag, str) or flag.strip().lower() not in BOOL_WORDS:
            self.add(opath, f"{where}: optional: must be true or false, not {flag!r}")
            return False
        if flag.strip().lower() not in BOOL_TRUE_WORDS:
            return False
        if kind != "from":
            self.add(
                opath,
                f"{where}: optional: applies to from: (a source column an export may lack), "
                f"not to {kind}:",
                "remove optional: (a constant is in every export; an expression's source "
                "columns must be), or read one source column with {from: ..., optional: true}",
            )
            return False
        if contract_col.required:
            self.add(
                opath,
                f"{where}: the raw contract requires {contract_col.name}, so it cannot be "
                "optional: an export without the source column could not be loaded",
                "remove optional: and map it to a column every export has, a constant "
                "({value: ...}) or an SQL expression ({expr: ...})",
            )
            return False
        return True

    def _map_of(
        self,
        name: str,
        spec: dict[str, Any],
        path: tuple[Any, ...],
        value_maps: dict[str, dict[str, str | None]],
    ) -> tuple[dict[str, str | None] | None, str | None]:
        """A column's value map (named under value_maps: or inline) and its name."""
        if "map" not in spec:
            return None, None
        m = spec["map"]
        if not isinstance(m, str):
            return self.one_map(m, (*path, "map")), None
        if m not in value_maps:
            self.add(
                (*path, "map"),
                f"column '{name}' uses the value map '{m}', which value_maps does not define."
                f"{did_you_mean(m, value_maps)}",
                "define it under value_maps: or write the map inline: map: {A: a, B: b}",
            )
            return None, None
        return value_maps[m], m

    def _numbers_of(
        self,
        contract_col: Column,
        spec: dict[str, Any],
        kind: str,
        path: tuple[Any, ...],
        opts: dict[str, Any],
    ) -> NumberFormat | None:
        """The number format of a number column: the inherited one, with the column's own
        numbers: on top."""
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
                    f"column '{contract_col.name}' is {contract_col.data_type}: numbers: applies to number columns",
                    "remove it",
                )
        # A constant is contract text (a dot for decimals): numbers: is the export's format.
        if contract_col.is_numeric and kind != "value":
            return self.number_format(nums_dict, nums_line, path)
        return None

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
    if col.data_type == "boolean" and value.strip().lower() not in BOOL_WORDS:
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


def _typed_refs(*sql: str | None) -> tuple[str, ...]:
    """The contract columns the SQL texts read as `typed.<column>`, in order, once each."""
    refs: list[str] = []
    for text in sql:
        for m in TYPED_REF_RE.finditer(text or ""):
            ref = m.group(1) or m.group(2)
            if ref not in refs:
                refs.append(ref)
    return tuple(refs)


def _entity_of(path: tuple[Any, ...]) -> str:
    """ "entity 'opportunities': " from a column's YAML path ('' outside an entity block)."""
    if len(path) > 2 and path[0] == "entities":
        label = path[1] if not isinstance(path[2], int) else f"{path[1]}[{path[2]}]"
        return f"entity '{label}': "
    return ""


def _value_fix(col: Column) -> str:
    if col.accepted_values:
        return "use one of: " + ", ".join(col.accepted_values)
    return f"give a {col.data_type} value"
