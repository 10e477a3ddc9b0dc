"""The ground every part of the mapping parser stands on.

`LocatedYaml` turns a mapping file's YAML into plain Python values and keeps
the line of every key, so each problem can name where it is. `ParserBase`
collects the problems (`Issue`) and checks the scalar values every block has:
texts, lists of texts, file patterns (they must stay inside --source), SQL
(one sandboxed expression), strptime formats and time zones.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from crm_warehouse.imports.sandbox import path_problem, sql_expression_problem
from crm_warehouse.imports.spec import Issue, did_you_mean
from crm_warehouse.ingest.contract import Contract

_NULL_WORDS = {"~", "null", "Null", "NULL", ""}
_STRPTIME_DIRECTIVES = set("aAbBcdfgGHIjmMpSuUVwWxXyYzZ%-")


# --------------------------------------------------------------------------- YAML with lines


class LocatedYaml:
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


# --------------------------------------------------------------------------- the parser's base


class ParserBase:
    """The problems found in one mapping file so far, and the checks of its scalar values."""

    def __init__(self, path: Path, contract: Contract) -> None:
        self.path = path
        self.contract = contract
        self.issues: list[Issue] = []
        self.loc = LocatedYaml()

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


def _clip(text: str, limit: int = 120) -> str:
    one = " ".join(text.split())
    return one if len(one) <= limit else one[: limit - 1] + "…"


def _kind(value: Any) -> str:
    return "list" if isinstance(value, list) else "mapping" if isinstance(value, dict) else "value"
