"""Rows a mapping adds to the stage, lead-source and region seeds (seed_rows:).

`seed_info` reads what the project's seeds already hold (seeds/<name>.csv)
and their column rules (seeds/_seeds.yml); `SeedRowsParser` checks the rows a
mapping adds against them (every column given, valid values, no clash with a
known raw value); `write_seed_rows` writes them beside the import's landing
files, where the build picks them up.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from crm_warehouse.imports.parser_base import ParserBase
from crm_warehouse.imports.spec import Mapping, did_you_mean
from crm_warehouse.settings import project_root

#: PyYAML's safe loader, in C (libyaml) when PyYAML was built with it: the same
#: documents, read about ten times faster (`yaml.load(text, Loader=YAML_LOADER)`).
YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

#: Seeds a mapping may add rows to (seed_rows:), read from seeds/<name>.csv.
SEED_ROW_SEEDS = ("stages", "lead_sources", "regions")

#: Folder under landing/ for the mapping's seed_rows: (hidden: the loader skips it).
SEED_ROWS_DIR = ".seed_rows"


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
    meta = yaml.load((folder / "_seeds.yml").read_text(encoding="utf-8"), Loader=YAML_LOADER) or {}
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


class SeedRowsParser(ParserBase):
    """Parses the seed_rows: block of a mapping."""

    def seed_rows(self, data: Any, path: tuple[Any, ...]) -> dict[str, list[dict[str, str]]]:
        """Rows the mapping adds to the stage, lead-source and region seeds."""
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


def write_seed_rows(landing: Path, mapping: Mapping) -> dict[str, str]:
    """Write the mapping's seed_rows: to landing/.seed_rows/<seed>.csv (the loader skips hidden
    folders); remove those of a previous import. Returns seed -> file."""
    import csv as _csv

    folder = landing / SEED_ROWS_DIR
    if folder.is_dir():
        shutil.rmtree(folder)
    written: dict[str, str] = {}
    for seed, rows in mapping.seed_rows.items():
        if not rows:
            continue
        folder.mkdir(parents=True, exist_ok=True)
        info = seed_info(seed)
        target = folder / f"{seed}.csv"
        with target.open("w", encoding="utf-8", newline="") as fh:
            writer = _csv.DictWriter(fh, fieldnames=list(info.columns), lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)
        written[seed] = str(target)
    return written
