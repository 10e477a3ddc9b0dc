"""Shards: how the generator keeps a large scale in bounded memory.

A scale above `config.SHARD_MAX_SCALE` is generated as several shards of equal
scale, one after another: each shard is a division of the company with its own
reps, customers, deals, cases and activities (its own random streams), sharing
the fixed teams and the product catalogue. Only one shard's records are in
memory at a time; its rows are appended to the same export files as the
shards before it.

Record keys stay unique across shards: while a shard is simulated and written,
`keys` (crm_warehouse.demo.text) adds the shard's key offset of a table (the
records of that table in the shards before it) to every record number, and
the malformed junk rows add the rows written before. A scale at or below
SHARD_MAX_SCALE is one shard with offsets 0: the same files, byte for byte,
as a generator without shards.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

from crm_warehouse.demo import config


@dataclass(frozen=True)
class Offsets:
    """Per table: records (`keys`) and rows (`rows`) written by the shards before."""

    keys: Mapping[str, int] = field(default_factory=dict)
    rows: Mapping[str, int] = field(default_factory=dict)


_CURRENT: ContextVar[Offsets | None] = ContextVar("crm_demo_shard_offsets", default=None)


def plan(scale: float) -> list[float]:
    """The scales of the shards of a generation at `scale` (one shard up to
    SHARD_MAX_SCALE, else the fewest equal shards no larger than it)."""
    n = max(1, math.ceil(scale / config.SHARD_MAX_SCALE - 1e-9))
    return [scale / n] * n if n > 1 else [scale]


def key_offset(table: str) -> int:
    """What to add to a record number of `table` in the current shard."""
    current = _CURRENT.get()
    return int(current.keys.get(table, 0)) if current is not None else 0


def row_offset(table: str) -> int:
    """Rows of `table` written by the shards before the current one."""
    current = _CURRENT.get()
    return int(current.rows.get(table, 0)) if current is not None else 0


@contextmanager
def offsets(current: Offsets) -> Iterator[None]:
    """Make `current` the offsets of keys and junk rows inside the block."""
    token = _CURRENT.set(current)
    try:
        yield
    finally:
        _CURRENT.reset(token)
