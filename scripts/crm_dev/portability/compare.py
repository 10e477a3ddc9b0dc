"""The portability check's comparison: engine-independent values, the
tolerance of each kind of column, and one engine's copy of a mart matched
row by row against the reference's; the marts and their keys come from the
dbt manifest. Plain Python, unit-tested on its own
(tests/python/unit/test_portability_unit.py)."""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from crm_dev.portability.engines import REFERENCE

#: Absolute tolerance of money (decimal with at most 2 places): equal to the cent.
MONEY_TOLERANCE = 0.005
#: Tolerance of every other non-integer number (relative for |x| > 1).
NUMBER_TOLERANCE = 1e-9

# --------------------------------------------------------------------------- values


Kind = str  # "int" | "money" | "number" | "bool" | "date" | "timestamp" | "text"


def column_kind(duckdb_type: str) -> Kind:
    """How a column is compared, from its DuckDB type (the reference engine's)."""
    t = duckdb_type.upper()
    if t.startswith("DECIMAL") or t.startswith("NUMERIC"):
        scale = 3
        if "," in t:
            scale = int(t.split(",")[1].rstrip(") "))
        return "money" if scale <= 2 else "number"
    if t in ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UBIGINT", "UINTEGER"):
        return "int"
    if t in ("DOUBLE", "FLOAT", "REAL"):
        return "number"
    if t == "BOOLEAN":
        return "bool"
    if t == "DATE":
        return "date"
    if t.startswith("TIMESTAMP"):
        return "timestamp"
    return "text"


def canonical(value: Any) -> Any:
    """One engine-independent Python value: None for null/NaN, float for
    decimals and doubles, int for integers, ISO strings for dates and
    timestamps (timestamps in UTC without an offset), str otherwise."""
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, Decimal):
        return None if value.is_nan() else float(value)
    if isinstance(value, float):
        return None if math.isnan(value) else value
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC).replace(tzinfo=None)
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def values_equal(a: Any, b: Any, kind: Kind) -> bool:
    """Equal within the tolerance of the column's kind (both canonical)."""
    if a is None or b is None:
        return a is None and b is None
    if kind in ("money", "number", "int") and _is_number(a) and _is_number(b):
        x, y = float(a), float(b)
        if kind == "int":
            return x == y
        if kind == "money":
            return abs(x - y) <= MONEY_TOLERANCE
        return abs(x - y) <= NUMBER_TOLERANCE * max(1.0, abs(x), abs(y))
    if kind == "bool":
        return _as_bool(a) == _as_bool(b)
    if kind == "timestamp":
        return _timestamp_text(a) == _timestamp_text(b)
    if kind == "date":
        return str(a)[:10] == str(b)[:10]
    return a == b


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def _as_bool(v: Any) -> Any:
    if isinstance(v, str):
        return v.lower() in ("true", "t", "1")
    return bool(v)


def _timestamp_text(v: Any) -> str:
    """'YYYY-MM-DD HH:MM:SS[.ffffff]' with trailing zero microseconds dropped."""
    text = str(v).replace("T", " ")
    if "." in text:
        head, frac = text.split(".", 1)
        frac = frac.rstrip("0")
        text = f"{head}.{frac}" if frac else head
    return text


def _sort_token(value: Any, kind: Kind) -> tuple[int, Any]:
    """Sort key of one value: nulls first, numbers rounded to their tolerance."""
    if value is None:
        return (0, "")
    if kind in ("money", "number", "int") and _is_number(value):
        return (1, round(float(value), 2 if kind == "money" else 6))
    if kind == "timestamp":
        return (2, _timestamp_text(value))
    if kind == "bool":
        return (1, int(_as_bool(value)))
    return (2, str(value))


# --------------------------------------------------------------------------- comparison


@dataclass
class Table:
    """One mart as read from one engine: column names and canonical rows."""

    columns: list[str]
    rows: list[tuple[Any, ...]]


@dataclass
class MartDiff:
    """How one engine's copy of a mart differs from the reference's."""

    mart: str
    engine: str
    rows: int
    reference_rows: int
    differing: int = 0
    missing: int = 0
    extra: int = 0
    first_difference: str = ""
    error: str | None = None

    @property
    def ok(self) -> bool:
        return (
            self.error is None
            and self.differing == 0
            and self.missing == 0
            and self.extra == 0
            and not self.first_difference
        )


def compare_tables(
    mart: str,
    engine: str,
    reference: Table,
    other: Table,
    kinds: dict[str, Kind],
    key: Sequence[str] | None = None,
) -> MartDiff:
    """Compare `other` with `reference`, row by row.

    Rows are matched on `key` when given (and unique on both sides), otherwise
    by sorting both sides on every column. Column names must match (order
    does not matter); a missing or extra column is reported as the first
    difference and the common columns are still compared."""
    diff = MartDiff(mart, engine, rows=len(other.rows), reference_rows=len(reference.rows))
    ref_cols = [c.lower() for c in reference.columns]
    oth_cols = [c.lower() for c in other.columns]
    missing_cols = [c for c in ref_cols if c not in oth_cols]
    extra_cols = [c for c in oth_cols if c not in ref_cols]
    if missing_cols or extra_cols:
        diff.first_difference = f"columns missing {missing_cols}, extra {extra_cols}"
    common = [c for c in ref_cols if c in oth_cols]
    ref_idx = [ref_cols.index(c) for c in common]
    oth_idx = [oth_cols.index(c) for c in common]
    col_kinds = [kinds.get(c, "text") for c in common]
    ref_rows = [tuple(r[i] for i in ref_idx) for r in reference.rows]
    oth_rows = [tuple(r[i] for i in oth_idx) for r in other.rows]

    key_cols = [c.lower() for c in key] if key else []
    if key_cols and all(c in common for c in key_cols):
        pos = [common.index(c) for c in key_cols]

        def key_of(row: tuple[Any, ...]) -> tuple[Any, ...]:
            return tuple(_sort_token(row[p], col_kinds[p]) for p in pos)

        ref_map = {key_of(r): r for r in ref_rows}
        oth_map = {key_of(r): r for r in oth_rows}
        if len(ref_map) == len(ref_rows) and len(oth_map) == len(oth_rows):
            for k in sorted(ref_map, key=repr):
                if k not in oth_map:
                    diff.missing += 1
                    _note(diff, f"row {_key_text(key_cols, ref_map[k], pos)} missing")
                    continue
                _compare_row(diff, common, col_kinds, ref_map[k], oth_map[k], key_cols, pos)
            for k in sorted(oth_map, key=repr):
                if k not in ref_map:
                    diff.extra += 1
                    _note(diff, f"extra row {_key_text(key_cols, oth_map[k], pos)}")
            return diff

    def row_key(row: tuple[Any, ...]) -> tuple[Any, ...]:
        return tuple(_sort_token(v, k) for v, k in zip(row, col_kinds, strict=True))

    ref_sorted = sorted(ref_rows, key=row_key)
    oth_sorted = sorted(oth_rows, key=row_key)
    for ref_row, oth_row in zip(ref_sorted, oth_sorted, strict=False):
        _compare_row(diff, common, col_kinds, ref_row, oth_row, [], [])
    if len(ref_sorted) > len(oth_sorted):
        diff.missing = len(ref_sorted) - len(oth_sorted)
        _note(diff, f"{diff.missing} row(s) fewer")
    elif len(oth_sorted) > len(ref_sorted):
        diff.extra = len(oth_sorted) - len(ref_sorted)
        _note(diff, f"{diff.extra} row(s) more")
    return diff


def _note(diff: MartDiff, text: str) -> None:
    if not diff.first_difference:
        diff.first_difference = text


def _key_text(key_cols: list[str], row: tuple[Any, ...], pos: list[int]) -> str:
    return "(" + ", ".join(f"{c}={row[p]!r}" for c, p in zip(key_cols, pos, strict=True)) + ")"


def _compare_row(
    diff: MartDiff,
    common: list[str],
    kinds: list[Kind],
    ref_row: tuple[Any, ...],
    oth_row: tuple[Any, ...],
    key_cols: list[str],
    pos: list[int],
) -> None:
    for i, column in enumerate(common):
        if not values_equal(ref_row[i], oth_row[i], kinds[i]):
            diff.differing += 1
            where = _key_text(key_cols, ref_row, pos) if key_cols else _row_text(common, ref_row)
            _note(
                diff,
                f"{column} at {where}: {REFERENCE}={ref_row[i]!r} {diff.engine}={oth_row[i]!r}",
            )
            return


def _row_text(columns: list[str], row: tuple[Any, ...], limit: int = 3) -> str:
    return (
        "("
        + ", ".join(f"{c}={v!r}" for c, v in list(zip(columns, row, strict=True))[:limit])
        + ", ...)"
    )


# --------------------------------------------------------------------------- marts


@dataclass(frozen=True)
class Mart:
    """A mart model: where it lives and the columns that identify a row."""

    name: str
    schema: str
    key: tuple[str, ...] | None


def marts_from_manifest(manifest_path: Path) -> list[Mart]:
    """Every enabled model under models/marts/, with its primary key from its
    declared constraints (a model `unique` with columns, else a column
    `primary_key`; checked by the constraints_hold test) or its tests
    (unique_combination_of_columns, else a `primary_key` or `unique` column)."""
    manifest = json.loads(manifest_path.read_text())
    keys: dict[str, tuple[str, ...]] = {}
    singles: dict[str, tuple[str, ...]] = {}
    for uid, node in manifest["nodes"].items():
        for constraint in node.get("constraints") or []:
            if constraint.get("type") == "unique" and constraint.get("columns"):
                keys.setdefault(uid, tuple(constraint["columns"]))
        for column, spec in (node.get("columns") or {}).items():
            if any(c.get("type") == "primary_key" for c in spec.get("constraints") or []):
                singles.setdefault(uid, (column,))
    for node in manifest["nodes"].values():
        if node.get("resource_type") != "test" or not node.get("test_metadata"):
            continue
        meta = node["test_metadata"]
        attached = node.get("attached_node")
        if not attached:
            continue
        if meta.get("name") == "unique_combination_of_columns":
            cols = meta.get("kwargs", {}).get("combination_of_columns") or []
            keys.setdefault(attached, tuple(cols))
        elif meta.get("name") in ("primary_key", "unique") and node.get("column_name"):
            singles.setdefault(attached, (node["column_name"],))
    marts = []
    for uid, node in manifest["nodes"].items():
        if node.get("resource_type") != "model":
            continue
        if not node.get("original_file_path", "").startswith("models/marts/"):
            continue
        if not node.get("config", {}).get("enabled", True):
            continue
        name = node.get("alias") or node["name"]
        marts.append(Mart(name, node["schema"], keys.get(uid) or singles.get(uid)))
    return sorted(marts, key=lambda m: (m.schema, m.name))
