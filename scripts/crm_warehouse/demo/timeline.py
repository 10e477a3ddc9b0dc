"""Time of the demo data: instants are int64 seconds since 1970-01-01 UTC, dates
int64 days since then; NA marks a missing value in either."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import numpy as np

from crm_warehouse.demo import config

NA = np.iinfo(np.int64).min
MINUTE = 60
HOUR = 3600
DAY = 86_400

_EPOCH = date(1970, 1, 1)


def to_seconds(d: date) -> int:
    return (d - _EPOCH).days * DAY


T0 = to_seconds(config.WINDOW_START)
T1 = to_seconds(config.WINDOW_END)
#: Start of each batch's window and the end of the last, in seconds.
BATCH_EDGES = np.array([to_seconds(a) for a, _ in config.BATCHES] + [T1], dtype=np.int64)


def batch_of(t: np.ndarray) -> np.ndarray:
    """0-based batch index of each instant (all instants are in the window)."""
    return np.searchsorted(BATCH_EDGES, t, side="right") - 1


def lognormal_seconds(
    rng: np.random.Generator, mean: float, n: int, sigma: float = 0.8
) -> np.ndarray:
    """Positive durations with the given mean (seconds), right-skewed."""
    mu = np.log(mean) - sigma * sigma / 2
    return rng.lognormal(mu, sigma, n)


def after(
    rng: np.random.Generator,
    t: np.ndarray,
    mean_seconds: float,
    sigma: float = 0.8,
    minimum: float = 60,
) -> np.ndarray:
    """t plus a lognormal delay of the given mean (never less than `minimum`)."""
    delay = np.maximum(lognormal_seconds(rng, mean_seconds, len(t), sigma), minimum)
    return t + delay.astype(np.int64)


def uniform_between(rng: np.random.Generator, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """An instant uniformly in [lo, hi] (hi < lo gives lo)."""
    span = np.maximum(hi - lo, 0)
    return lo + (rng.random(len(lo)) * span).astype(np.int64)


def arrival_times(
    rng: np.random.Generator,
    n: int,
    lo: int = T0,
    hi: int = T1,
    growth: float = 0.6,
    weekend: float = 0.08,
    hours: tuple[float, float] = (13.5, 2.8),
) -> np.ndarray:
    """n instants in [lo, hi): business days weighted by a linear growth of the
    business (the last day `1 + growth` times the first), weekends rare, times
    of day around `hours` (mean, sd in hours UTC)."""
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    d0, d1 = lo // DAY, max(lo // DAY + 1, -(-hi // DAY))
    days = np.arange(d0, d1, dtype=np.int64)
    weekday = (days + 3) % 7  # 1970-01-01 was a Thursday; 0 = Monday
    w = np.where(weekday >= 5, weekend, 1.0) * (
        1 + growth * (days - T0 // DAY) / (T1 // DAY - T0 // DAY)
    )
    w = np.clip(w, 1e-6, None)
    day = rng.choice(days, size=n, p=w / w.sum())
    tod = np.clip(rng.normal(hours[0], hours[1], n), 0.0, 23.99) * HOUR
    t = day * DAY + tod.astype(np.int64)
    return np.clip(t, lo, hi - 1)


def month_index(t: np.ndarray) -> np.ndarray:
    """Months since 1970-01 of each instant."""
    return t.astype("datetime64[s]").astype("datetime64[M]").astype(np.int64)


def day_of(t: np.ndarray) -> np.ndarray:
    """UTC date (days since epoch) of each instant; NA stays NA."""
    out = np.floor_divide(t, DAY)
    return np.where(t == NA, NA, out)


def add_months(days: np.ndarray, months: int) -> np.ndarray:
    """Date `months` later (day of month clipped to the month's end)."""
    d = days.astype("datetime64[D]")
    m = d.astype("datetime64[M]")
    dom = (d - m).astype(np.int64)
    m2 = m + months
    last = ((m2 + 1).astype("datetime64[D]") - m2.astype("datetime64[D]")).astype(np.int64)
    return m2.astype("datetime64[D]").astype(np.int64) + np.minimum(dom, last - 1)


class Fx:
    """Monthly USD value of one unit of each currency, from seeds/exchange_rates.csv."""

    def __init__(self, seed_path: Path) -> None:
        rows: dict[str, dict[int, float]] = {}
        with seed_path.open(encoding="utf-8", newline="") as f:
            for row in csv.DictReader(f):
                y, m, _ = (int(x) for x in row["rate_date"].split("-"))
                rows.setdefault(row["currency_code"], {})[(y - 1970) * 12 + m - 1] = float(
                    row["usd_per_unit"]
                )
        self.first = min(min(r) for r in rows.values())
        last = max(max(r) for r in rows.values())
        self.codes = tuple(rows)
        self.table = np.ones((len(self.codes), last - self.first + 1))
        for i, code in enumerate(self.codes):
            prev = 1.0
            for k in range(self.first, last + 1):
                prev = rows[code].get(k, prev)
                self.table[i, k - self.first] = prev

    def usd_per_unit(
        self, currency_idx: np.ndarray, t: np.ndarray, currencies: tuple[str, ...]
    ) -> np.ndarray:
        """USD per unit of currencies[currency_idx] in the month of t."""
        code_rows = np.array([self.codes.index(c) for c in currencies])[currency_idx]
        k = np.clip(month_index(t) - self.first, 0, self.table.shape[1] - 1)
        return self.table[code_rows, k]
