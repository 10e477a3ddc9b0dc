"""A dashboard cube's rows as the page's compact JSON, column by column.

The page's script reads each row as [month index, member index per
dimension, measures...], the indexes pointing into lists shared by every
cube (serve.dashboard_cubes.read_cube). Reading the rows one by one in Python
took about 3.6 of the 4.7 s the dashboard step spent at scale 10 (330,000
rows, measured 2026-12-07); Arrow and numpy encode whole columns, Python
touching only each column's distinct values and the measures that are not
whole numbers.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc


def _json_number(value: Any) -> float | int | None:
    """A measure as the page shows it: null, a whole number, else 2 places."""
    if value is None:
        return None
    number = float(value)
    return int(number) if number.is_integer() else round(number, 2)


def json_numbers(column: pa.ChunkedArray) -> list[Any]:
    """`_json_number` of every cell, numpy doing the cells of a float, an
    integer or a decimal of at most 2 places (such a decimal's nearest double
    rounds to the same 2 places whichever way it was converted); a decimal of
    more places goes through Python's float(), as a cell by cell read would."""
    column = column.combine_chunks()
    kind = column.type
    if pa.types.is_decimal(kind) and kind.scale > 2:
        return [_json_number(v) for v in column.to_pylist()]
    values = pc.cast(column, pa.float64(), safe=False).to_numpy(zero_copy_only=False)
    null = column.is_null().to_numpy(zero_copy_only=False)
    whole = np.isfinite(values) & (values == np.floor(values)) & ~null
    small = whole & (np.abs(values) < 2**53)
    out = np.empty(len(values), dtype=object)
    out[small] = values[small].astype(np.int64)
    out[whole & ~small] = [int(v) for v in values[whole & ~small].tolist()]
    rest = ~whole & ~null
    out[rest] = [round(v, 2) for v in values[rest].tolist()]
    return out.tolist()  # nulls stay None


def positions(
    column: pa.ChunkedArray, values: list[str], key: Callable[[Any], str | None]
) -> list[int]:
    """Each cell's position in `values`, the list extended with what it lacks
    in the order the cells first show it (as a lookup row by row would); `key`
    gives a distinct value's member (None: position -1)."""
    index = {v: i for i, v in enumerate(values)}
    cells = column.combine_chunks()
    if pa.types.is_null(cells.type):  # a column of nulls only
        cells = cells.cast(pa.string())
    encoded = pc.dictionary_encode(cells, null_encoding="encode")
    lookup = []
    for value in encoded.dictionary.to_pylist():
        member = key(value)
        if member is None:
            lookup.append(-1)
            continue
        if member not in index:
            index[member] = len(values)
            values.append(member)
        lookup.append(index[member])
    return np.asarray(lookup, dtype=np.int64)[encoded.indices.to_numpy()].tolist()


def month_key(value: Any) -> str | None:
    """A month's member, 'YYYY-MM'; None (position -1) for a snapshot's null."""
    return value.isoformat()[:7] if isinstance(value, date) else None


def dim_key(long: bool) -> Callable[[Any], str | None]:
    """A dimension's member: str() of the value; a null is position -1 in a
    long cube (a row of another dimension, or the `all` row) and the member
    'None' in any other."""
    return (lambda v: None if v is None else str(v)) if long else str
