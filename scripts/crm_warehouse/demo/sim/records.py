"""Record arrays and the vectorised helpers every domain of the simulation uses.

Everything is vectorised numpy over record arrays, held in SimpleNamespaces
(one attribute per column). Instants are int64 seconds UTC (NA = missing),
dates int64 days, money int64 cents.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from types import SimpleNamespace as NS
from typing import Any

import numpy as np
import pyarrow as pa

from crm_warehouse.demo.timeline import NA, T1

i64 = np.int64
BIG = np.iinfo(np.int64).max


@dataclass
class TableModel:
    """What the renderer needs to write one contract table."""

    name: str
    n: int
    #: Change instants per record (NA: none); every record has at least one.
    changes: list[np.ndarray]
    #: (record indices, as-of instants) -> {column: values}; see render.py for
    #: the value conventions per contract type.
    build: Callable[[np.ndarray, np.ndarray], dict[str, Any]]
    #: Soft-delete instant per record (NA: never deleted).
    deleted_at: np.ndarray | None = None


# --------------------------------------------------------------------------- helpers
def at(t: np.ndarray, asof: np.ndarray) -> np.ndarray:
    """t where it has happened by asof, else NA."""
    return np.where((t != NA) & (t <= asof), t, NA)


def reached(t: np.ndarray, asof: np.ndarray) -> np.ndarray:
    return (t != NA) & (t <= asof)


def in_window(t: np.ndarray) -> np.ndarray:
    """t where it is inside the window, NA after it (not happened yet)."""
    return np.where((t != NA) & (t < T1), t, NA)


def nz(t: np.ndarray) -> np.ndarray:
    return t != NA


def pick_existing(rng: np.random.Generator, created: np.ndarray, t: np.ndarray) -> np.ndarray:
    """For each instant, a random record created at or before it (-1: none)."""
    order = np.argsort(created, kind="stable")
    srt = created[order]
    cnt = np.searchsorted(srt, t, side="right")
    j = np.minimum((rng.random(len(t)) * cnt).astype(i64), max(len(order) - 1, 0))
    return np.where(cnt > 0, order[j] if len(order) else -1, -1)


def pick_between(
    rng: np.random.Generator, times: np.ndarray, lo: np.ndarray, hi: np.ndarray
) -> np.ndarray:
    """For each [lo, hi], a random record whose time falls inside (-1: none)."""
    order = np.argsort(times, kind="stable")
    srt = times[order]
    a = np.searchsorted(srt, lo, side="left")
    b = np.searchsorted(srt, hi, side="right")
    j = np.minimum(a + (rng.random(len(lo)) * (b - a)).astype(i64), max(len(order) - 1, 0))
    return np.where(b > a, order[j] if len(order) else -1, -1)


class Grouped:
    """Records grouped by a parent index, to pick a random child of a parent."""

    def __init__(self, parent: np.ndarray, n_parents: int, created: np.ndarray) -> None:
        self.order = np.argsort(parent, kind="stable")
        self.start = np.searchsorted(parent[self.order], np.arange(n_parents))
        self.count = np.bincount(parent, minlength=n_parents)
        self.created = created

    def pick(self, rng: np.random.Generator, parent: np.ndarray, t: np.ndarray) -> np.ndarray:
        """A random child of each parent created at or before t (-1: none)."""
        ok = parent >= 0
        p = np.where(ok, parent, 0)
        cnt = self.count[p]
        j = self.start[p] + (rng.random(len(p)) * cnt).astype(i64)
        child = np.where(ok & (cnt > 0), self.order[np.minimum(j, len(self.order) - 1)], -1)
        return np.where((child >= 0) & (self.created[np.maximum(child, 0)] <= t), child, -1)


def repeat_parents(rng: np.random.Generator, lam: np.ndarray) -> np.ndarray:
    """Parent index repeated Poisson(lam) times each."""
    k = rng.poisson(lam)
    return np.repeat(np.arange(len(lam)), k)


def cents(x: np.ndarray) -> np.ndarray:
    return np.round(np.asarray(x, dtype=float) * 100).astype(i64)


def money_round(x: np.ndarray, step: float) -> np.ndarray:
    """Round to a multiple of step (in currency units), returned as cents."""
    return cents(np.maximum(np.round(np.asarray(x) / step), 1) * step)


def concat_ns(parts: list[NS]) -> NS:
    """Concatenate SimpleNamespaces of equally named arrays (numpy or arrow)."""
    out = {}
    for k, v in vars(parts[0]).items():
        if isinstance(v, pa.Array):
            out[k] = pa.concat_arrays([getattr(p, k) for p in parts])
        elif isinstance(v, np.ndarray):
            out[k] = np.concatenate([getattr(p, k) for p in parts])
    return NS(**out)


def take_ns(ns: NS, idx: np.ndarray) -> NS:
    """Rows idx of every array attribute (numpy or arrow)."""
    out = {}
    for k, v in vars(ns).items():
        if isinstance(v, pa.Array):
            out[k] = v.take(pa.array(np.asarray(idx, dtype=i64)))
        elif isinstance(v, np.ndarray):
            out[k] = v[idx]
    return NS(**out)


def day_number(y: int, m: int, d: int) -> int:
    """Days since 1970-01-01 of a calendar date."""
    return int(np.datetime64(f"{y:04d}-{m:02d}-{d:02d}").astype("datetime64[D]").astype(i64))


def last_change(changes: list[np.ndarray]) -> np.ndarray:
    """The latest change instant of each record."""
    m = np.stack(changes, axis=1)
    return np.where(m == NA, np.iinfo(np.int64).min, m).max(axis=1)
