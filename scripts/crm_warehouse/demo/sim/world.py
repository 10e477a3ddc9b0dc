"""The simulated company: its random streams, volumes, exchange rates and
service levels, and the record arrays the domain modules fill in.

Each entity gets its own random stream (`Sim.rng(section)`), so the story is
deterministic for a seed and scale. crm_warehouse.demo.sim.story runs the
domains in order; each sets its attributes (record arrays, see records.py).
"""

from __future__ import annotations

import csv
from pathlib import Path
from types import SimpleNamespace as NS
from typing import Any

import numpy as np

from crm_warehouse.demo import config, vocab
from crm_warehouse.demo.sim.records import Grouped, i64
from crm_warehouse.demo.timeline import NA, Fx

#: Random streams every shard shares: the product catalogue (config.SHARED_TABLES).
SHARED_SECTIONS = frozenset({2})


class Sim:
    """The simulated company; crm_warehouse.demo.sim.story.simulate builds one."""

    # organisation
    reps: NS
    pool_ae: list[np.ndarray]
    pool_sdr: list[np.ndarray]
    pool_pm: np.ndarray
    pool_am: np.ndarray
    pool_agent: list[np.ndarray]
    targets: NS
    # marketing
    campaigns: NS
    leads: NS
    web: NS
    email_events: NS
    members: NS
    # sales: customers, catalogue and deals
    products: NS
    partners: NS
    base_accounts: NS
    accounts: NS
    conv_contacts: NS
    conv_opp_leads: np.ndarray
    contacts: NS
    contacts_by_account: Grouped
    opps: NS
    hist: NS
    quotes: NS
    # finance
    orders: NS
    lines: NS
    contracts: NS
    invoices: NS
    payments: NS
    # service
    cases: NS
    activities: NS

    def __init__(
        self, seed: int, scale: float, root: Path, shard: int = 0, shards: int = 1
    ) -> None:
        if scale <= 0:
            raise ValueError(f"scale must be positive, got {scale}")
        self.seed = int(seed)
        self.scale = float(scale)
        #: This division of the company (crm_warehouse.demo.shard) and how many there are.
        self.shard = int(shard)
        self.shards = int(shards)
        self.fx = Fx(root / "seeds" / "exchange_rates.csv")
        self.sla = self._read_sla(root / "seeds" / "case_priorities.csv")

    def rng(self, section: int) -> np.random.Generator:
        """The random stream of one section of the story (same seed and section, same
        draws); each shard after the first has its own, except for the shared sections."""
        if self.shard == 0 or section in SHARED_SECTIONS:
            return np.random.default_rng([self.seed, section])
        return np.random.default_rng([self.seed, section, self.shard])

    def count(self, name: str) -> int:
        """Records of an entity at this scale (config.VOLUMES, at least config.MIN_VOLUMES)."""
        return max(config.MIN_VOLUMES.get(name, 1), round(config.VOLUMES[name] * self.scale))

    @staticmethod
    def _read_sla(path: Path) -> np.ndarray:
        """(first response, resolution) target hours for critical, high, medium, low."""
        order = ("critical", "high", "medium", "low")
        out = np.zeros((4, 2))
        with path.open(encoding="utf-8", newline="") as f:
            for row in csv.DictReader(f):
                k = order.index(row["priority"])
                out[k] = (
                    float(row["first_response_target_hours"]),
                    float(row["resolution_target_hours"]),
                )
        return out

    def to_local(self, usd_cents: np.ndarray, cur: np.ndarray, t: np.ndarray) -> np.ndarray:
        """USD cents as cents of currency `cur` at instant t."""
        rate = self.fx.usd_per_unit(cur, t, vocab.CURRENCIES)
        return np.round(usd_cents / rate).astype(i64)

    def pick_rep(
        self,
        rng: np.random.Generator,
        pools: list[np.ndarray] | np.ndarray,
        region: np.ndarray | None,
        t: np.ndarray,
    ) -> np.ndarray:
        """A rep of the pool (per region) employed at t."""
        s = self.reps
        n = len(t)
        out = np.full(n, -1, dtype=i64)
        if isinstance(pools, np.ndarray):
            pools, region = [pools], np.zeros(n, dtype=i64)
        assert region is not None
        for g, pl in enumerate(pools):
            m = np.flatnonzero(region == g)
            if len(m) == 0 or len(pl) == 0:
                continue
            cand = pl[rng.integers(0, len(pl), len(m))]
            for _ in range(40):
                bad = ~((s.hired[cand] <= t[m]) & (t[m] <= s.left_end[cand]))
                if not bad.any():
                    break
                cand[bad] = pl[rng.integers(0, len(pl), int(bad.sum()))]
            out[m] = cand
        return out

    def keep_active(
        self,
        rng: np.random.Generator,
        rep: np.ndarray,
        pools: Any,
        region: np.ndarray | None,
        t: np.ndarray,
    ) -> np.ndarray:
        """rep where employed at t, else another rep of the pool who is."""
        s = self.reps
        r = np.maximum(rep, 0)
        ok = (rep >= 0) & (s.hired[r] <= t) & (t <= s.left_end[r])
        if ok.all():
            return rep
        alt = self.pick_rep(rng, pools, region, t)
        return np.where(ok, rep, alt)

    def price_at(self, product: np.ndarray, t: np.ndarray) -> np.ndarray:
        """List price (USD cents) of products at t."""
        p = self.products
        c1, c2 = p.change1[product], p.change2[product]
        return np.where(
            (c2 != NA) & (t >= c2),
            p.price2[product],
            np.where((c1 != NA) & (t >= c1), p.price1[product], p.price0[product]),
        )
