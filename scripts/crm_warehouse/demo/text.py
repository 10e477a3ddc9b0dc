"""Vectorised text helpers (pyarrow compute): keys, picks from word lists,
concatenation and the whitespace / case variants of free text."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from crm_warehouse.demo import config, shard


def keys(table: str, idx: np.ndarray) -> pa.Array:
    """Identifiers of a table's records: prefix + zero-padded 1-based number
    (plus the current shard's key offset of the table); a negative index gives null."""
    prefix, width = config.KEY_FORMAT[table]
    idx = np.asarray(idx, dtype=np.int64)
    offset = shard.key_offset(table)
    number = idx + 1 if offset == 0 else np.where(idx >= 0, idx + 1 + offset, idx + 1)
    nums = pc.utf8_lpad(pc.cast(pa.array(number), pa.string()), width, "0")
    out = pc.binary_join_element_wise(prefix, nums, "")
    if (idx < 0).any():
        out = pc.if_else(pa.array(idx >= 0), out, pa.nulls(len(idx), pa.string()))
    return out


def pick(values: Sequence[str], idx: np.ndarray) -> pa.Array:
    """values[idx] as a string array; a negative index gives null."""
    idx = np.asarray(idx, dtype=np.int64)
    arr = pa.array(list(values), pa.string())
    return arr.take(pa.array(idx, mask=idx < 0))


def concat(*parts: pa.Array | str) -> pa.Array:
    """Element-wise concatenation (a null part gives null)."""
    return pc.binary_join_element_wise(*parts, "")


def where(mask: np.ndarray, a: pa.Array | str, b: pa.Array | str) -> pa.Array:
    return pc.if_else(pa.array(np.asarray(mask, dtype=bool)), a, b)


def weighted(rng: np.random.Generator, weights: Sequence[float], n: int) -> np.ndarray:
    """n indices drawn with the given relative weights."""
    w = np.asarray(weights, dtype=float)
    return rng.choice(len(w), size=n, p=w / w.sum())


def messy(rng: np.random.Generator, arr: pa.Array) -> pa.Array:
    """Free text as typed by people: WHITESPACE_RATE of values get leading and/or
    trailing spaces, CASE_VARIANT_RATE are written in UPPER or lower case."""
    n = len(arr)
    r = rng.random(n)
    kind = rng.integers(0, 3, n)
    ws = r < config.WHITESPACE_RATE
    case = (r >= config.WHITESPACE_RATE) & (r < config.WHITESPACE_RATE + config.CASE_VARIANT_RATE)
    out = where(case & (kind == 0), pc.utf8_upper(arr), arr)
    out = where(case & (kind != 0), pc.utf8_lower(out), out)
    out = where(ws & (kind == 0), concat(" ", out), out)
    out = where(ws & (kind == 1), concat(out, "  "), out)
    out = where(ws & (kind == 2), concat("  ", out, " "), out)
    return out


def email_local(first: pa.Array, last: pa.Array) -> pa.Array:
    """first.last in lower case ASCII-ish, as mail systems write it."""
    s = concat(first, ".", last)
    s = pc.utf8_lower(s)
    for a, b in (("ü", "ue"), ("ö", "oe"), ("ä", "ae"), ("'", ""), (" ", "")):
        s = pc.replace_substring(s, a, b)
    return s


def slug(arr: pa.Array) -> pa.Array:
    """Company name -> domain label (lower case, no spaces or punctuation)."""
    s = pc.utf8_lower(arr)
    s = pc.replace_substring_regex(s, r"[^a-z0-9]+", "")
    return s


def num(values: np.ndarray, width: int = 0) -> pa.Array:
    """Integers as text, optionally zero-padded."""
    s = pc.cast(pa.array(np.asarray(values, dtype=np.int64)), pa.string())
    return pc.utf8_lpad(s, width, "0") if width else s
