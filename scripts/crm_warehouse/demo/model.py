"""The business simulation behind the demo data.

Everything is vectorised numpy over record arrays. Instants are int64 seconds
UTC (NA = missing), dates int64 days, money int64 cents. Each entity gets its
own random stream (`Sim.rng(section)`), so the story is deterministic for a
seed and scale.

The story, in the order it is simulated:

1. Teams and reps (hired before or during the window; some leave and are replaced).
2. Products (6 families x 5 tiers, price rises on 2024-01-02 and 2025-01-02),
   partners (join over time, some move tier) and campaigns (channel, cost,
   start / end).
3. Accounts: migrated prospects and customers (first days of 2023) and new ones
   over the window; contacts at accounts.
4. Leads from campaigns and organic sources, web forms with duplicate
   submissions; the funnel new -> working -> qualified -> converted (or
   unqualified). Conversions create (or match) an account, a contact and
   usually an opportunity.
5. Opportunities in rounds: stage paths (skips, re-opens), win / loss; quotes,
   orders with lines, 12-month contracts for subscriptions. Contracts ending in
   the window start renewal opportunities, won deals start expansions: the next
   round. Migrated customers' contracts (started in 2022) renew in 2023.
6. Invoices (annual or quarterly instalments, services, credit notes) and
   payments (on time, late, in two parts, in another currency, unpaid).
7. Support cases (SLA from seeds/case_priorities.csv), activities (sales calls,
   emails, meetings, tasks, inbound service calls), web sessions, email list
   events, campaign members and monthly targets.

`Sim.tables()` turns this into one `TableModel` per contract table: the change
instants of each record (an export batch holding a change writes the record's
state as of its last change in that batch) and a function building the
columns as of an instant.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace as NS
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from crm_warehouse.demo import config, text, vocab
from crm_warehouse.demo.text import concat, pick, weighted, where
from crm_warehouse.demo.timeline import (
    DAY,
    HOUR,
    MINUTE,
    NA,
    T0,
    T1,
    Fx,
    add_months,
    after,
    arrival_times,
    day_of,
    uniform_between,
)

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


#: Teams: name, department, region code (-1 global), region text, member role, members at scale 1.
TEAMS = (
    ("Enterprise Sales North America", "sales", 0, "North America", "account_executive", 8),
    ("Enterprise Sales EMEA", "sales", 1, "EMEA", "account_executive", 6),
    ("Mid-Market North America", "sales", 0, "North America", "account_executive", 9),
    ("Mid-Market EMEA", "sales", 1, "EMEA", "account_executive", 7),
    ("Commercial APAC", "sales", 2, "APAC", "account_executive", 5),
    ("SDR North America", "sales", 0, "North America", "sdr", 9),
    ("SDR EMEA & APAC", "sales", 1, "EMEA", "sdr", 7),
    ("Partner Sales", "partner_sales", -1, "Global", "partner_manager", 6),
    ("Customer Success", "customer_success", -1, "Global", "account_manager", 10),
    ("Service Desk Americas", "service", 0, "North America", "service_agent", 12),
    ("Service Desk EMEA & APAC", "service", 1, "EMEA", "service_agent", 9),
    ("Marketing", "marketing", -1, "Global", "", 2),
)
ROLES = (
    "manager",
    "account_executive",
    "sdr",
    "partner_manager",
    "account_manager",
    "service_agent",
    "",
)
OPP_TYPES = ("new_business", "expansion", "renewal")
STAGE_DWELL_DAYS = np.array([10.0, 12.0, 14.0, 15.0, 12.0])
WON, LOST = 5, 6
#: Multiplies every activity rate (tuned so that scale 1 gives ~330k activities).
ACTIVITY_FACTOR = 1.17


def _day(y: int, m: int, d: int) -> int:
    return int(np.datetime64(f"{y:04d}-{m:02d}-{d:02d}").astype("datetime64[D]").astype(i64))


class Sim:
    """The simulated company. Call `run()` then `tables()`."""

    def __init__(self, seed: int, scale: float, root: Path) -> None:
        if scale <= 0:
            raise ValueError(f"scale must be positive, got {scale}")
        self.seed = int(seed)
        self.scale = float(scale)
        self.fx = Fx(root / "seeds" / "exchange_rates.csv")
        self.sla = self._read_sla(root / "seeds" / "case_priorities.csv")

    # ------------------------------------------------------------------ basics
    def rng(self, section: int) -> np.random.Generator:
        return np.random.default_rng([self.seed, section])

    def count(self, name: str) -> int:
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
        rate = self.fx.usd_per_unit(cur, t, vocab.CURRENCIES)
        return np.round(usd_cents / rate).astype(i64)

    def run(self) -> Sim:
        self.build_reps()
        self.build_products()
        self.build_partners()
        self.build_campaigns()
        self.build_base_accounts()
        self.build_leads()
        self.build_conversions()
        self.build_contacts()
        self.build_deals()
        self.build_invoices()
        self.build_cases()
        self.build_activities()
        self.build_web_sessions()
        self.build_email_events()
        self.build_campaign_members()
        self.build_targets()
        self.inject_missing_references()
        return self

    # ------------------------------------------------------------------ reps
    def build_reps(self) -> None:
        rng = self.rng(1)
        win0, win1 = T0 // DAY, T1 // DAY
        team, role, hired, left = [], [], [], []

        def add(t: int, r: int, h: int, lft: int) -> None:
            team.append(t)
            role.append(r)
            hired.append(h)
            left.append(lft)

        for ti in range(len(TEAMS)):
            add(ti, 0, int(rng.integers(_day(2014, 1, 1), _day(2021, 12, 31))), NA)
        for ti, (*_, member_role, count) in enumerate(TEAMS):
            r = ROLES.index(member_role)
            for _ in range(max(1, round(count * self.scale))):
                if rng.random() < 0.78:
                    h = int(rng.integers(_day(2016, 1, 1), _day(2022, 12, 20)))
                else:
                    h = int(rng.integers(win0 + 10, win0 + 700))
                while True:
                    lft = NA
                    start = max(h, win0) + 90
                    if rng.random() < 0.2 and start < win1 - 30:
                        lft = int(rng.integers(start, win1 - 20))
                    add(ti, r, h, lft)
                    if lft == NA:
                        break
                    h = lft + int(rng.integers(14, 61))
                    if h >= win1 - 5:
                        break
        n = len(team)
        s = NS()
        s.n = n
        s.team = np.array(team, dtype=i64)
        s.role = np.array(role, dtype=i64)
        s.hired_day = np.array(hired, dtype=i64)
        s.left_day = np.array(left, dtype=i64)
        s.hired = s.hired_day * DAY
        s.left_end = np.where(s.left_day == NA, BIG, (s.left_day + 1) * DAY - 1)
        s.first = rng.integers(0, len(vocab.FIRST_NAMES), n)
        s.last = rng.integers(0, len(vocab.LAST_NAMES), n)
        migration = T0 + DAY + 8 * HOUR
        s.created = np.where(
            s.hired < T0 + DAY,
            migration + rng.integers(0, HOUR, n),
            np.maximum(migration, s.hired - 7 * DAY + 9 * HOUR + rng.integers(0, HOUR, n)),
        )
        s.left_change = in_window(np.where(s.left_day == NA, NA, (s.left_day + 1) * DAY + 9 * HOUR))
        # Managers: sales team managers report to the first team's manager.
        s.manager = np.where(s.role == 0, -1, s.team)
        sales_mgr = (s.role == 0) & (s.team >= 1) & (s.team <= 6)
        s.manager = np.where(sales_mgr, 0, s.manager)
        names = [
            f"{vocab.FIRST_NAMES[f]} {vocab.LAST_NAMES[la]}"
            for f, la in zip(s.first, s.last, strict=True)
        ]
        seen: dict[str, int] = {}
        emails = []
        for nm in names:
            base = text.email_local(pa.array([nm.split(" ")[0]]), pa.array([nm.split(" ", 1)[1]]))[
                0
            ].as_py()
            seen[base] = seen.get(base, 0) + 1
            emails.append(f"{base}{seen[base] if seen[base] > 1 else ''}@acmecloud.example")
        s.name = pa.array(names)
        s.email = pa.array(emails)
        self.reps = s

        def pool(roles: tuple[int, ...], teams: tuple[int, ...]) -> np.ndarray:
            return np.flatnonzero(np.isin(s.role, roles) & np.isin(s.team, teams))

        ae = ROLES.index("account_executive")
        self.pool_ae = [pool((ae,), (0, 2)), pool((ae,), (1, 3)), pool((ae,), (4,))]
        self.pool_sdr = [pool((2,), (5,)), pool((2,), (6,)), pool((2,), (6,))]
        self.pool_pm = pool((3,), (7,))
        self.pool_am = pool((4,), (8,))
        self.pool_agent = [pool((5,), (9,)), pool((5,), (10,)), pool((5,), (10,))]

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

    # ------------------------------------------------------------------ products
    def build_products(self) -> None:
        rng = self.rng(2)
        nf, nt = len(vocab.PRODUCT_FAMILIES), len(vocab.PRODUCT_TIERS)
        p = NS()
        p.n = nf * nt
        p.family = np.repeat(np.arange(nf), nt)
        p.tier = np.tile(np.arange(nt), nf)
        base = (
            np.array([f[1] for f in vocab.PRODUCT_FAMILIES])[p.family]
            * np.array(vocab.TIER_PRICE_FACTOR)[p.tier]
        )
        p.price0 = money_round(base, 10)
        sub = np.array([f[3] for f in vocab.PRODUCT_FAMILIES])[p.family]
        p.subscription = sub
        p.change1 = np.where(sub, T0 + 366 * DAY + 9 * HOUR, NA)  # 2024-01-02 09:00
        p.price1 = np.where(sub, money_round(p.price0 / 100 * 1.05, 1), p.price0)
        has2 = rng.random(p.n) < 0.5
        p.change2 = np.where(has2, T0 + 732 * DAY + 9 * HOUR, NA)  # 2025-01-02 09:00
        p.price2 = np.where(has2, money_round(p.price1 / 100 * 1.03, 1), p.price1)
        ratio = np.array([f[2] for f in vocab.PRODUCT_FAMILIES])[p.family] * rng.uniform(
            0.9, 1.1, p.n
        )
        p.cost = np.round(p.price0 * ratio).astype(i64)
        p.created = T0 + DAY + 7 * HOUR + 30 * MINUTE + np.arange(p.n) * MINUTE
        p.name = pa.array(
            [
                f"{vocab.PRODUCT_FAMILIES[f][0]} {vocab.PRODUCT_TIERS[k]}"
                for f, k in zip(p.family, p.tier, strict=True)
            ]
        )
        self.products = p

    def price_at(self, product: np.ndarray, t: np.ndarray) -> np.ndarray:
        """List price (USD cents) of products at t."""
        p = self.products
        c1, c2 = p.change1[product], p.change2[product]
        return np.where(
            (c2 != NA) & (t >= c2),
            p.price2[product],
            np.where((c1 != NA) & (t >= c1), p.price1[product], p.price0[product]),
        )

    # ------------------------------------------------------------------ partners
    def build_partners(self) -> None:
        rng = self.rng(3)
        n = self.count("partners")
        p = NS()
        p.n = n
        combos = [f"{a} {b}" for a in vocab.PARTNER_WORDS for b in vocab.PARTNER_SUFFIX]
        pick_ = rng.permutation(len(combos))[np.arange(n) % len(combos)]
        p.name = pa.array([combos[i] for i in pick_])
        p.tier = weighted(rng, (10, 25, 35, 30), n)
        p.type = weighted(rng, (45, 30, 10, 15), n)
        p.region = weighted(rng, (50, 35, 15), n)
        before = rng.random(n) < 0.65
        p.joined_day = np.where(
            before,
            rng.integers(_day(2015, 1, 1), _day(2022, 12, 31), n),
            day_of(arrival_times(rng, n, T0, T1 - 120 * DAY)),
        )
        p.created = np.where(
            before,
            T0 + DAY + 8 * HOUR + 30 * MINUTE + rng.integers(0, HOUR, n),
            p.joined_day * DAY + 10 * HOUR,
        )
        p.joined = p.joined_day * DAY
        p.manager = self.pick_rep(rng, self.pool_pm, None, np.maximum(p.created, T0 + DAY))
        move = rng.random(n) < 0.2
        p.tier_change = in_window(
            np.where(move, uniform_between(rng, p.created + 60 * DAY, np.full(n, T1 - DAY)), NA)
        )
        p.tier2 = np.maximum(p.tier - 1, 0)  # a move up (0 = platinum)
        self.partners = p

    # ------------------------------------------------------------------ campaigns
    def build_campaigns(self) -> None:
        rng = self.rng(4)
        n = self.count("campaigns")
        ch = vocab.CAMPAIGN_CHANNELS
        c = NS()
        c.n = n
        c.channel = weighted(rng, [x[1] for x in ch], n)
        c.start = arrival_times(rng, n, T0 + 5 * DAY, T1 - 3 * DAY, growth=0.3)
        c.start_day = day_of(c.start)
        lo = np.array([x[2] for x in ch])[c.channel]
        hi = np.array([x[3] for x in ch])[c.channel]
        dur = rng.integers(lo, hi + 1)
        c.end_day = c.start_day + dur - 1
        c.end_ts = in_window((c.end_day + 1) * DAY + 6 * HOUR)
        c.created = np.maximum(T0 + 9 * HOUR, c.start - rng.integers(2, 31, n) * DAY)
        mean_cost = np.array([x[4] for x in ch], dtype=float)[c.channel]
        zero = rng.random(n) < np.array([x[5] for x in ch])[c.channel]
        budget_usd = np.where(
            zero | (mean_cost == 0),
            0.0,
            rng.lognormal(np.log(np.maximum(mean_cost, 1)) - 0.18, 0.6),
        )
        c.cur = np.where(rng.random(n) < 0.8, 0, np.where(rng.random(n) < 0.6, 1, 2))
        c.budget = self.to_local(money_round(budget_usd, 10), c.cur, c.start)
        c.budget = np.where(budget_usd == 0, 0, c.budget)
        c.actual = np.round(c.budget * rng.uniform(0.8, 1.1, n)).astype(i64)
        c.weight_members = np.array([x[6] for x in ch])[c.channel]
        spelled = pick([x[0] for x in ch], c.channel)
        c.channel_text = text.messy(rng, spelled)
        year = (c.start.astype("datetime64[s]").astype("datetime64[Y]").astype(i64) + 1970).astype(
            str
        )
        q = (
            (c.start.astype("datetime64[s]").astype("datetime64[M]").astype(i64) % 12) // 3 + 1
        ).astype(str)
        theme = pick(vocab.CAMPAIGN_THEMES, rng.integers(0, len(vocab.CAMPAIGN_THEMES), n))
        c.name = concat(pa.array(year), " Q", pa.array(q), " ", spelled, " - ", theme)
        self.campaigns = c

    # ------------------------------------------------------------------ accounts
    def _account_attrs(
        self, rng: np.random.Generator, created: np.ndarray, names: pa.Array | None
    ) -> NS:
        n = len(created)
        a = NS()
        a.created = created
        a.country = weighted(rng, [x[3] for x in vocab.COUNTRIES], n)
        a.region = np.array([x[1] for x in vocab.COUNTRIES])[a.country]
        spell = rng.integers(0, 4, n)
        flat = [row[0][k % len(row[0])] for row in vocab.COUNTRIES for k in range(4)]
        a.country_text_idx = a.country * 4 + np.where(rng.random(n) < 0.6, 0, spell)
        a.country_flat = flat
        reg_spell = np.where(rng.random(n) < 0.8, 0, rng.integers(0, 2, n))
        a.region_text_idx = a.region * 3 + reg_spell
        a.industry = weighted(rng, [x[1] for x in vocab.INDUSTRIES], n)
        a.employees = np.clip(rng.lognormal(np.log(180), 1.3, n), 2, 250_000).astype(i64)
        local_cur = np.array([vocab.CURRENCIES.index(x[2]) for x in vocab.COUNTRIES])[a.country]
        a.cur = np.where(rng.random(n) < 0.85, local_cur, 0)
        a.owner = self.pick_rep(rng, self.pool_ae, a.region, created)
        p = self.partners
        has_partner = rng.random(n) < 0.12
        a.partner = np.where(has_partner, pick_existing(rng, p.created, created), -1)
        if names is None:
            names = self._company_names(rng, n)
        a.name = names
        return a

    def _company_names(self, rng: np.random.Generator, n: int) -> pa.Array:
        first = pick(vocab.COMPANY_FIRST, rng.integers(0, len(vocab.COMPANY_FIRST), n))
        second = pick(vocab.COMPANY_SECOND, rng.integers(0, len(vocab.COMPANY_SECOND), n))
        suffix = pick(vocab.COMPANY_SUFFIX, rng.integers(0, len(vocab.COMPANY_SUFFIX), n))
        out = concat(first, " ", second, " ", suffix)
        return pc.utf8_rtrim_whitespace(out)

    def build_base_accounts(self) -> None:
        rng = self.rng(5)
        n = round(self.count("accounts") * 0.5)
        migrated = rng.random(n) < 0.3
        created = np.where(
            migrated,
            T0 + DAY + 8 * HOUR + rng.integers(0, 10 * DAY, n),
            arrival_times(rng, n, T0 + 14 * DAY, T1 - DAY),
        )
        a = self._account_attrs(rng, created, None)
        a.migrated = migrated
        self.base_accounts = a

    # ------------------------------------------------------------------ leads
    def build_leads(self) -> None:
        rng = self.rng(6)
        n = self.count("leads")
        c = self.campaigns
        ls = vocab.LEAD_SOURCES
        src_names = [x[0] for x in ls]
        from_campaign = rng.random(n) < 0.3
        camp = np.where(
            from_campaign, weighted(rng, np.maximum(c.weight_members, 0.1) + 0.5, n), -1
        )
        cc = np.maximum(camp, 0)
        camp_created = c.start[cc] + (
            rng.random(n) * ((c.end_day[cc] - c.start_day[cc] + 15) * DAY)
        ).astype(i64)
        organic = arrival_times(rng, n, T0, T1)
        created = np.where(from_campaign, camp_created, organic)
        keep = created < T1 - HOUR
        # source: campaign leads from the channel's sources, organic ones by weight
        ch_sources = [x[7] for x in vocab.CAMPAIGN_CHANNELS]
        alt = rng.integers(0, 2, n)
        camp_src = np.array([src_names.index(s[0]) for s in ch_sources])[c.channel[cc]]
        camp_src2 = np.array([src_names.index(s[-1]) for s in ch_sources])[c.channel[cc]]
        source = np.where(
            from_campaign,
            np.where(alt == 0, camp_src, camp_src2),
            weighted(rng, [x[2] for x in ls], n),
        )
        idx = np.flatnonzero(keep)
        L = NS()
        L.created = created[idx]
        L.campaign = camp[idx]
        L.source = source[idx]
        m = len(idx)
        is_web = np.array([x[1] for x in ls])[L.source]
        L.form = np.where(
            is_web & (rng.random(m) < 0.85), weighted(rng, (30, 30, 20, 0, 20, 0), m), -1
        )
        src_name = np.array(src_names)[L.source]
        L.form = np.where(is_web & (src_name == "Webinar"), 3, L.form)
        L.form = np.where(
            is_web & (src_name == "Email Newsletter") & (rng.random(m) < 0.7), 5, L.form
        )
        L.submitted = np.where(L.form >= 0, L.created, NA)
        L.created = np.where(L.form >= 0, L.created + rng.integers(0, 90, m), L.created)
        # person and company
        L.first = rng.integers(0, len(vocab.FIRST_NAMES), m)
        L.last = rng.integers(0, len(vocab.LAST_NAMES), m)
        ba = self.base_accounts
        L.account_link = np.where(
            rng.random(m) < 0.35, pick_existing(rng, ba.created, L.created), -1
        )
        own = self._company_names(rng, m)
        acc_names = ba.name.take(pa.array(np.maximum(L.account_link, 0)))
        L.company = where(L.account_link >= 0, acc_names, own)
        L.region = np.where(
            L.account_link >= 0,
            ba.region[np.maximum(L.account_link, 0)],
            weighted(rng, (55, 35, 10), m),
        )
        L.freemail = rng.random(m) < 0.2
        L.unmapped = rng.random(m) < config.UNMAPPED_LEAD_SOURCE_RATE
        L.unmapped_idx = rng.integers(0, len(vocab.UNMAPPED_LEAD_SOURCES), m)
        L.dup_of = np.full(m, -1, dtype=i64)
        L.kind = np.zeros(m, dtype=i64)  # 0 base, 1 duplicate, 2 near miss
        # duplicate submissions and near misses of form leads
        forms = np.flatnonzero(L.form >= 0)
        u = rng.random(len(forms))
        dup = forms[u < config.DUPLICATE_SUBMISSION_RATE]
        near = forms[
            (u >= config.DUPLICATE_SUBMISSION_RATE)
            & (u < config.DUPLICATE_SUBMISSION_RATE + config.NEAR_MISS_SUBMISSION_RATE)
        ]
        gap = np.concatenate(
            [rng.integers(60, 9 * 60 + 1, len(dup)), rng.integers(20 * 60, 60 * 60 + 1, len(near))]
        )
        src = np.concatenate([dup, near])
        sub2 = L.submitted[src] + gap
        ok = sub2 < T1 - HOUR
        src, sub2 = src[ok], sub2[ok]
        kind = np.concatenate([np.ones(len(dup), dtype=i64), np.full(len(near), 2, dtype=i64)])[ok]
        extra = take_ns(L, src)
        extra.submitted = sub2
        extra.created = sub2 + rng.integers(0, 90, len(src))
        extra.dup_of = src
        extra.kind = kind
        L = concat_ns([L, extra])
        m = len(L.created)
        L.n = m
        # text fields
        first = pick(vocab.FIRST_NAMES, L.first)
        last = pick(vocab.LAST_NAMES, L.last)
        local = text.email_local(first, last)
        domain = where(
            L.freemail,
            pick(vocab.FREEMAIL_DOMAINS, L.first % 3),
            concat(text.slug(L.company), ".example"),
        )
        email = concat(local, "@", domain)
        email = self._invalid_emails(rng, email, local, domain)
        email = self._email_case(rng, email)
        phone = self._phones(rng, L.region)
        base_ix = np.where(L.dup_of >= 0, L.dup_of, np.arange(m))
        # duplicates repeat the person's typed values (sometimes in another case)
        L.email = email.take(pa.array(base_ix))
        L.email = where((L.kind > 0) & (rng.random(m) < 0.3), pc.utf8_lower(L.email), L.email)
        L.phone = phone.take(pa.array(base_ix))
        L.first_text = text.messy(rng, first).take(pa.array(base_ix))
        L.last_text = text.messy(rng, last).take(pa.array(base_ix))
        L.company_text = text.messy(rng, L.company)
        src_text = text.messy(rng, pick(src_names, L.source))
        L.source_text = where(
            L.unmapped, pick(vocab.UNMAPPED_LEAD_SOURCES, L.unmapped_idx), src_text
        )
        L.owner = self.pick_rep(rng, self.pool_sdr, L.region, L.created)
        # funnel
        dup_like = L.kind > 0
        work_p = np.where(dup_like, 0.3, 0.85)
        worked = rng.random(m) < work_p
        L.worked = np.where(worked, after(rng, L.created, 1.5 * DAY), NA)
        group = np.array(
            [
                "web",
                "web",
                "web",
                "web",
                "web",
                "paid",
                "paid",
                "news",
                "web",
                "social",
                "social",
                "social",
                "paid",
                "paid",
                "out",
                "out",
                "out",
                "event",
                "event",
                "ref",
                "ref",
                "ref",
                "ref",
                "other",
            ]
        )
        qual_by_group = {
            "web": 0.28,
            "paid": 0.25,
            "news": 0.15,
            "social": 0.22,
            "out": 0.3,
            "event": 0.4,
            "ref": 0.5,
            "other": 0.2,
        }
        qp = np.vectorize(qual_by_group.get)(group[L.source]).astype(float)
        qp = np.where(dup_like, 0.0, qp)
        qualified = worked & (rng.random(m) < qp)
        L.qualified = np.where(
            qualified, after(rng, np.where(worked, L.worked, L.created), 8 * DAY), NA
        )
        unq_worked = worked & ~qualified & (rng.random(m) < 0.75)
        unq_new = ~worked & (rng.random(m) < np.where(dup_like, 0.5, 0.6))
        L.unqualified = np.where(
            unq_worked,
            after(rng, np.where(worked, L.worked, L.created), 20 * DAY),
            np.where(
                unq_new,
                L.created
                + rng.integers(np.where(dup_like, 1, 30), np.where(dup_like, 6, 121)) * DAY,
                NA,
            ),
        )
        converted = qualified & (rng.random(m) < 0.55)
        L.converted = np.where(
            converted, after(rng, np.where(qualified, L.qualified, L.created), 6 * DAY), NA
        )
        for k in ("worked", "qualified", "unqualified", "converted"):
            setattr(L, k, in_window(getattr(L, k)))
        L.conv_account = np.full(m, -1, dtype=i64)
        L.conv_contact = np.full(m, -1, dtype=i64)
        L.conv_opp = np.full(m, -1, dtype=i64)
        self.leads = L

    def _invalid_emails(
        self, rng: np.random.Generator, email: pa.Array, local: pa.Array, domain: pa.Array
    ) -> pa.Array:
        n = len(email)
        bad = rng.random(n) < config.INVALID_EMAIL_RATE
        kind = rng.integers(0, 3, n)
        no_at = concat(local, ".", domain)
        double = concat(local, "@@", domain)
        space = concat(pc.replace_substring(local, ".", " ", max_replacements=1), "@", domain)
        out = where(bad & (kind == 0), no_at, email)
        out = where(bad & (kind == 1), double, out)
        # a local part without a dot has no space to gain: put one before the @
        space = where(pc.match_substring(local, "."), space, concat(local, " @", domain))
        return where(bad & (kind == 2), space, out)

    def _email_case(self, rng: np.random.Generator, email: pa.Array) -> pa.Array:
        n = len(email)
        r = rng.random(n)
        out = where(r < 0.08, pc.utf8_capitalize(email), email)
        out = where((r >= 0.08) & (r < 0.1), pc.utf8_upper(email), out)
        out = where((r >= 0.1) & (r < 0.13), concat(" ", out, " "), out)
        return out

    def _phones(self, rng: np.random.Generator, region: np.ndarray) -> pa.Array:
        n = len(region)
        a = text.num(rng.integers(200, 1000, n))
        b = text.num(rng.integers(0, 1000, n), 3)
        c = text.num(rng.integers(0, 10000, n), 4)
        d = text.num(rng.integers(1000000, 9999999, n))
        fmt = rng.integers(0, 3, n)
        na = where(
            fmt == 0,
            concat("+1 ", a, " ", b, " ", c),
            where(fmt == 1, concat("(", a, ") ", b, "-", c), concat(a, ".", b, ".", c)),
        )
        emea = where(
            fmt == 0,
            concat("+44 20 ", b, " ", c),
            where(fmt == 1, concat("+49 30 ", d), concat("0", a, " ", d)),
        )
        apac = where(fmt == 0, concat("+61 2 ", c, " ", c), concat("+65 ", c, " ", c))
        out = where(region == 0, na, where(region == 1, emea, apac))
        bad = rng.random(n) < config.INVALID_PHONE_RATE
        junk = pick(
            ("n/a", "tbd", "call me", "555-12", "12345", "+1 415 CALL NOW", "0049 30 12x45"),
            rng.integers(0, 7, n),
        )
        out = where(bad, junk, out)
        missing = rng.random(n) < 0.12
        return where(missing & ~bad, pa.nulls(n, pa.string()), out)

    # ------------------------------------------------------------------ conversions
    def build_conversions(self) -> None:
        rng = self.rng(7)
        L, ba = self.leads, self.base_accounts
        conv = np.flatnonzero(nz(L.converted))
        t = L.converted[conv]
        existing = L.account_link[conv]
        new = existing < 0
        new_idx = conv[new]
        na = self._account_attrs(rng, L.converted[new_idx], L.company.take(pa.array(new_idx)))
        na.region = L.region[new_idx]
        na.owner = self.pick_rep(rng, self.pool_ae, na.region, na.created)
        na.migrated = np.zeros(len(new_idx), dtype=bool)
        n_base = len(ba.created)
        accounts = concat_ns(
            [
                NS(**{k: v for k, v in vars(ba).items() if isinstance(v, np.ndarray)}),
                NS(**{k: v for k, v in vars(na).items() if isinstance(v, np.ndarray)}),
            ]
        )
        accounts.name = pa.concat_arrays([ba.name, na.name])
        accounts.country_flat = ba.country_flat
        accounts.n = len(accounts.created)
        acc_of_conv = existing.copy()
        acc_of_conv[new] = n_base + np.arange(len(new_idx))
        L.conv_account[conv] = acc_of_conv
        self.accounts = accounts
        # contacts from conversions (index = position among converted leads)
        self.conv_contacts = NS(lead=conv, account=acc_of_conv, created=t)
        L.conv_contact[conv] = np.arange(len(conv))
        # opportunities from conversions
        with_opp = rng.random(len(conv)) < 0.92
        self.conv_opp_leads = conv[with_opp]

    # ------------------------------------------------------------------ contacts
    def build_contacts(self) -> None:
        rng = self.rng(8)
        a, L = self.accounts, self.leads
        cc = self.conv_contacts
        n_extra = max(self.count("contacts") - len(cc.lead), a.n)
        # every account gets a first contact when created, the rest spread
        acc = np.concatenate([np.arange(a.n), weighted(rng, np.log1p(a.employees), n_extra - a.n)])
        first_contact = np.arange(len(acc)) < a.n
        span = np.minimum(a.created[acc] + 540 * DAY, T1 - HOUR)
        created = np.where(
            first_contact,
            a.created[acc] + rng.integers(0, HOUR, len(acc)),
            uniform_between(rng, a.created[acc], span),
        )
        created = np.minimum(created, T1 - 60)
        m = len(acc)
        region = a.region[acc]
        first = rng.integers(0, len(vocab.FIRST_NAMES), m)
        last = rng.integers(0, len(vocab.LAST_NAMES), m)
        f_txt, l_txt = pick(vocab.FIRST_NAMES, first), pick(vocab.LAST_NAMES, last)
        local = text.email_local(f_txt, l_txt)
        domain = concat(text.slug(a.name.take(pa.array(acc))), ".example")
        email = self._email_case(
            rng, self._invalid_emails(rng, concat(local, "@", domain), local, domain)
        )
        email = where(rng.random(m) < 0.05, pa.nulls(m, pa.string()), email)
        phone = self._phones(rng, region)
        # contacts converted from leads keep the lead's typed values
        conv = cc.lead
        C = NS()
        C.n = len(conv) + m
        C.account = np.concatenate([cc.account, acc])
        C.created = np.concatenate([cc.created, created])
        C.lead = np.concatenate([conv, np.full(m, -1, dtype=i64)])
        C.first_text = pa.concat_arrays([L.first_text.take(pa.array(conv)), text.messy(rng, f_txt)])
        C.last_text = pa.concat_arrays([L.last_text.take(pa.array(conv)), text.messy(rng, l_txt)])
        C.email = pa.concat_arrays([L.email.take(pa.array(conv)), email])
        C.phone = pa.concat_arrays([L.phone.take(pa.array(conv)), phone])
        C.title = rng.integers(0, len(vocab.TITLES), C.n)
        touch = rng.random(C.n) < config.TOUCH_RATES["contacts"]
        C.touch = in_window(
            np.where(touch, uniform_between(rng, C.created + 30 * DAY, np.full(C.n, T1 - HOUR)), NA)
        )
        C.title2 = (C.title + 1 + rng.integers(0, len(vocab.TITLES) - 1, C.n)) % len(vocab.TITLES)
        self.contacts = C
        self.contacts_by_account = Grouped(C.account, a.n, C.created)
        # account edits: owner reassignment when the owner leaves, employee count updates
        rng2 = self.rng(18)
        r = self.reps
        left = r.left_end[a.owner]
        reassign = (left < T1 - 2 * DAY) & (left > a.created)
        a.reassign_at = in_window(np.where(reassign, left + rng2.integers(1, 15, a.n) * DAY, NA))
        a.owner2 = self.pick_rep(
            rng2, self.pool_ae, a.region, np.where(nz(a.reassign_at), a.reassign_at, a.created)
        )
        touch = rng2.random(a.n) < config.TOUCH_RATES["accounts"]
        a.touch = in_window(
            np.where(
                touch, uniform_between(rng2, a.created + 30 * DAY, np.full(a.n, T1 - HOUR)), NA
            )
        )
        a.employees2 = np.maximum(2, np.round(a.employees * rng2.uniform(0.8, 1.5, a.n))).astype(
            i64
        )
        a.name_text = text.messy(rng2, a.name)
        a.industry_text = text.messy(rng2, pick([x[0] for x in vocab.INDUSTRIES], a.industry))

    # ------------------------------------------------------------------ deals
    def _product_choice(
        self, rng: np.random.Generator, employees: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        n = len(employees)
        fam = weighted(rng, (40, 15, 17, 18, 10), n)
        size = np.clip(np.log10(np.maximum(employees, 2)) - 1.0, 0, 3.5)
        tier = np.clip(np.round(size + rng.normal(0, 0.7, n)), 0, 4).astype(i64)
        product = fam * len(vocab.PRODUCT_TIERS) + tier
        seats = np.clip(
            np.round(rng.lognormal(np.log(np.maximum(employees * 0.06, 3)), 0.5)), 3, 5000
        ).astype(i64)
        return product, seats

    def _seeds(self, **kw: np.ndarray) -> NS:
        n = len(kw["created"])
        base = dict(
            account=np.full(n, -1, dtype=i64), owner=np.full(n, -1, dtype=i64), type=np.zeros(n, dtype=i64),
            cur=np.zeros(n, dtype=i64), partner=np.full(n, -1, dtype=i64), campaign=np.full(n, -1, dtype=i64),
            lead=np.full(n, -1, dtype=i64), prev_contract=np.full(n, -1, dtype=i64), product=np.zeros(n, dtype=i64),
            seats=np.ones(n, dtype=i64), billing=np.zeros(n, dtype=i64),
        )  # fmt: skip
        base.update(kw)
        return NS(**base)

    def build_deals(self) -> None:
        rng = self.rng(9)
        a, L, p = self.accounts, self.leads, self.partners
        # round-0 seeds: conversions, AE-sourced new business, partner-registered deals
        cl = self.conv_opp_leads
        acc = L.conv_account[cl]
        t = L.converted[cl]
        prod, seats = self._product_choice(rng, a.employees[acc])
        conv = self._seeds(
            created=t, account=acc, owner=self.keep_active(rng, a.owner[acc], self.pool_ae, a.region[acc], t),
            cur=a.cur[acc], campaign=L.campaign[cl], lead=cl, product=prod, seats=seats, partner=a.partner[acc],
        )  # fmt: skip
        n_opp = self.count("opportunities")
        n_direct = round(n_opp * 0.10)
        t = arrival_times(rng, n_direct, T0 + 20 * DAY, T1 - DAY)
        acc = pick_existing(rng, a.created, t)
        ok = acc >= 0
        t, acc = t[ok], acc[ok]
        prod, seats = self._product_choice(rng, a.employees[acc])
        direct = self._seeds(
            created=t, account=acc, owner=self.keep_active(rng, a.owner[acc], self.pool_ae, a.region[acc], t),
            cur=a.cur[acc], product=prod, seats=seats, partner=a.partner[acc],
        )  # fmt: skip
        n_partner = round(n_opp * 0.07)
        t = arrival_times(rng, n_partner, T0 + 20 * DAY, T1 - DAY)
        acc = pick_existing(rng, a.created, t)
        prt = pick_existing(rng, p.created, t)
        ok = (acc >= 0) & (prt >= 0)
        t, acc, prt = t[ok], acc[ok], prt[ok]
        prod, seats = self._product_choice(rng, a.employees[acc])
        owner = np.where(rng.random(len(t)) < 0.5, p.manager[prt], a.owner[acc])
        partner = self._seeds(
            created=t, account=acc, owner=self.keep_active(rng, owner, self.pool_ae, a.region[acc], t),
            cur=a.cur[acc], product=prod, seats=seats, partner=prt,
        )  # fmt: skip
        seeds = concat_ns([conv, direct, partner])
        # more partner registrations and primary campaigns
        k = len(seeds.created)
        extra_p = (seeds.partner < 0) & (rng.random(k) < 0.02)
        seeds.partner = np.where(
            extra_p, pick_existing(rng, p.created, seeds.created), seeds.partner
        )
        c = self.campaigns
        extra_c = (seeds.campaign < 0) & (rng.random(k) < 0.3)
        near = pick_between(rng, c.start, seeds.created - 120 * DAY, seeds.created)
        seeds.campaign = np.where(extra_c, near, seeds.campaign)
        # migrated customers: contracts started in 2022, renewing in 2023
        mig = np.flatnonzero(a.migrated & (rng.random(a.n) < 0.6))
        m = len(mig)
        start_day = rng.integers(_day(2022, 1, 1), _day(2022, 12, 31), m)
        prod, seats = self._product_choice(rng, a.employees[mig])
        price = self.price_at(prod, np.full(m, T0)) * seats * rng.uniform(0.75, 1.0, m)
        value = self.to_local(np.round(price).astype(i64), a.cur[mig], np.full(m, T0))
        ct = NS(
            account=mig, order=np.full(m, -1, dtype=i64), prev=np.full(m, -1, dtype=i64), cur=a.cur[mig],
            start_day=start_day, end_day=add_months(start_day, 12) - 1, value=value, service_value=np.zeros(m, dtype=i64),
            signed=np.full(m, NA), draft=T0 + DAY + 8 * HOUR + rng.integers(0, 8 * DAY, m),
            cancel=np.full(m, NA), product=prod, seats=seats, billing=(rng.random(m) < 0.7).astype(i64),
            owner=a.owner[mig],
        )  # fmt: skip
        self.contracts = ct
        seeds = concat_ns([seeds, self._renewal_seeds(rng, ct, np.arange(m))])
        opps, hist, quotes, orders, lines = [], [], [], [], []
        offs = dict(opp=0, quote=0, order=0, contract=m)
        for round_no in range(12):
            if len(seeds.created) == 0:
                break
            r = self._deal_round(self.rng(100 + round_no), seeds, offs)
            opps.append(r.opps)
            hist.append(r.hist)
            quotes.append(r.quotes)
            orders.append(r.orders)
            lines.append(r.lines)
            offs["opp"] += len(r.opps.created)
            offs["quote"] += len(r.quotes.created)
            offs["order"] += len(r.orders.ordered)
            new_ct = r.contracts
            first_new = offs["contract"]
            self.contracts = concat_ns([self.contracts, new_ct])
            offs["contract"] += len(new_ct.account)
            seeds = concat_ns([
                self._renewal_seeds(rng, self.contracts, first_new + np.arange(len(new_ct.account))),
                self._expansion_seeds(rng, r.opps),
            ])  # fmt: skip
        self.opps = concat_ns(opps)
        self.opps.n = len(self.opps.created)
        self.hist = concat_ns(hist)
        self.quotes = concat_ns(quotes)
        self.orders = concat_ns(orders)
        self.lines = concat_ns(lines)
        self._reorders(rng)
        self._finish_deals(rng)

    def _renewal_seeds(self, rng: np.random.Generator, ct: NS, idx: np.ndarray) -> NS:
        end = (ct.end_day[idx] + 1) * DAY
        created = end - rng.integers(60, 101, len(idx)) * DAY + 10 * HOUR
        created = np.where(
            end > T0 + 15 * DAY, np.maximum(created, T0 + 2 * DAY + 10 * HOUR), created
        )
        ok = (created < T1 - DAY) & (created > T0) & (ct.cancel[idx] == NA)
        idx, created = idx[ok], created[ok]
        acc = ct.account[idx]
        owner = self.pick_rep(rng, self.pool_am, None, created)
        return self._seeds(
            created=created, account=acc, owner=owner, type=np.full(len(idx), 2, dtype=i64), cur=ct.cur[idx],
            prev_contract=idx, product=ct.product[idx],
            seats=np.maximum(3, np.round(ct.seats[idx] * rng.uniform(0.85, 1.25, len(idx)))).astype(i64),
            billing=ct.billing[idx], partner=self.accounts.partner[acc],
        )  # fmt: skip

    def _expansion_seeds(self, rng: np.random.Generator, o: NS) -> NS:
        won = (o.outcome == 1) & (o.type != 2)
        sel = np.flatnonzero(won & (rng.random(len(won)) < 0.45))
        created = o.final_close[sel] + rng.integers(90, 400, len(sel)) * DAY
        ok = created < T1 - DAY
        sel, created = sel[ok], created[ok]
        n = len(sel)
        fam = (o.product[sel] // 5 + rng.integers(1, 5, n)) % 5
        tier = np.minimum(o.product[sel] % 5 + rng.integers(0, 2, n), 4)
        same = rng.random(n) < 0.4  # upsell: a higher tier of the same family
        product = np.where(
            same, o.product[sel] // 5 * 5 + np.minimum(o.product[sel] % 5 + 1, 4), fam * 5 + tier
        )
        acc = o.account[sel]
        owner = np.where(
            rng.random(n) < 0.5, self.pick_rep(rng, self.pool_am, None, created), o.owner[sel]
        )
        owner = self.keep_active(rng, owner, self.pool_am, None, created)
        return self._seeds(
            created=created, account=acc, owner=owner, type=np.ones(n, dtype=i64), cur=o.cur[sel],
            product=product, seats=np.maximum(3, o.seats[sel] // 3), partner=o.partner[sel],
        )  # fmt: skip

    def _deal_round(self, rng: np.random.Generator, s: NS, offs: dict[str, int]) -> NS:
        n = len(s.created)
        typ = s.type
        u = rng.random(n)
        first = np.where(
            typ == 0, np.where(u < 0.8, 0, 1), np.where(typ == 1, 1, np.where(u < 0.7, 3, 4))
        )
        pwin = np.select([typ == 0, typ == 1], [0.30, 0.50], 0.80) + 0.08 * (s.partner >= 0)
        won = rng.random(n) < pwin
        lw = np.array([0.30, 0.25, 0.20, 0.15, 0.10])
        cum = np.cumsum(lw)
        # lost: last open stage drawn with weights lw among stages >= first
        lo_c = np.where(first > 0, cum[np.maximum(first - 1, 0)], 0.0)
        draw = lo_c + rng.random(n) * (cum[-1] - lo_c)
        last_lost = np.minimum(np.searchsorted(cum, draw, side="right"), 4)
        last = np.where(won, np.where(rng.random(n) < 0.9, 4, 3), last_lost)
        last = np.maximum(last, first)
        j = np.arange(5)
        skip = rng.random((n, 5)) < 0.1
        inner = (j > first[:, None]) & (j < last[:, None])
        present = (j >= first[:, None]) & (j <= last[:, None]) & ~(skip & inner)
        factor = np.where(typ == 2, 0.6, 1.0)[:, None]
        mean = STAGE_DWELL_DAYS[None, :] * DAY * factor
        dwell = np.maximum(rng.lognormal(np.log(mean) - 0.245, 0.7), HOUR).astype(i64)
        entry = np.full((n, 8), NA)
        code = np.full((n, 8), -1, dtype=i64)
        cursor = s.created.copy()
        for k in range(5):
            entry[:, k] = np.where(present[:, k], cursor, NA)
            code[:, k] = np.where(present[:, k], k, -1)
            cursor = np.where(present[:, k], cursor + dwell[:, k], cursor)
        close1 = cursor
        entry[:, 5] = close1
        code[:, 5] = np.where(won, WON, LOST)
        reopen = rng.random(n) < 0.03
        reopen_at = close1 + rng.integers(7, 61, n) * DAY + rng.integers(0, 8 * HOUR, n)
        close2 = after(rng, reopen_at, 20 * DAY)
        won2 = rng.random(n) < 0.55
        entry[:, 6] = np.where(reopen, reopen_at, NA)
        code[:, 6] = np.where(reopen, np.where(rng.random(n) < 0.6, 4, 3), -1)
        entry[:, 7] = np.where(reopen, close2, NA)
        code[:, 7] = np.where(reopen, np.where(won2, WON, LOST), -1)
        late = (entry == NA) | (entry >= T1)
        entry[late] = NA
        code[late] = -1
        # final state (as of the end of the window)
        last_col = 7 - np.argmax((code >= 0)[:, ::-1], axis=1)
        final_code = code[np.arange(n), last_col]
        final_time = entry[np.arange(n), last_col]
        outcome = np.where(final_code == WON, 1, np.where(final_code == LOST, 2, 0))  # 0 open
        o = NS(**{k: v for k, v in vars(s).items()})
        o.outcome = outcome
        o.final_close = np.where(outcome > 0, final_time, NA)
        o.planned_close = close1
        o.entry, o.code = entry, code
        # amounts (local cents); won deals get order lines priced at the close
        list_usd = self.price_at(s.product, s.created) * s.seats
        est = self.to_local(
            np.round(list_usd * rng.uniform(0.7, 1.0, n)).astype(i64), s.cur, s.created
        )
        ln = self._lines(rng, o, np.flatnonzero(outcome == 1))
        won_total = np.bincount(ln.opp, weights=ln.qty * ln.price, minlength=n).astype(i64)
        o.amount_final = np.where(outcome == 1, won_total, est)
        f = o.amount_final.astype(float)
        amf = np.empty((n, 8))
        amf[:, 0] = f * rng.uniform(0.6, 1.5, n)
        amf[:, 1] = f * rng.uniform(0.8, 1.3, n)
        amf[:, 2] = f * rng.uniform(0.8, 1.3, n)
        amf[:, 3] = f * rng.uniform(0.95, 1.15, n)
        amf[:, 4] = f * rng.uniform(0.95, 1.1, n)
        amf[:, 5] = np.where(reopen, f * rng.uniform(0.9, 1.1, n), f)
        amf[:, 6] = amf[:, 5]
        amf[:, 7] = f
        amt = np.round(amf).astype(i64)
        no_estimate = np.zeros((n, 8), dtype=bool)
        no_estimate[:, 0] = rng.random(n) < 0.4
        amt[(code < 0) | no_estimate] = NA
        o.amount = amt
        o.win_reason = weighted(rng, [x[1] for x in vocab.WIN_REASONS], n)
        o.loss_reason = weighted(rng, [x[1] for x in vocab.LOSS_REASONS], n)
        o.spell = np.stack(
            [weighted(rng, [w for _, w in vocab.STAGE_SPELLINGS[st]], n) for st in vocab.STAGES],
            axis=1,
        )
        o.unmapped = rng.random(n) < config.UNMAPPED_STAGE_RATE
        o.unmapped_stage = np.where(o.unmapped, final_code, -1)
        o.final_code = final_code
        o.changer_manager = rng.random((n, 8)) < 0.08
        # quotes
        q = self._quotes(rng, o)
        # orders for won deals
        won_idx = np.flatnonzero(outcome == 1)
        ordered = o.final_close[won_idx] + rng.integers(HOUR, 3 * DAY, len(won_idx))
        ok = ordered < T1 - HOUR
        won_idx, ordered = won_idx[ok], ordered[ok]
        order_of_opp = np.full(n, -1, dtype=i64)
        order_of_opp[won_idx] = np.arange(len(won_idx))
        keep_line = order_of_opp[ln.opp] >= 0
        ln = take_ns(ln, np.flatnonzero(keep_line))
        ln.order = order_of_opp[ln.opp] + offs["order"]
        od = self._orders(rng, account=s.account[won_idx], cur=s.cur[won_idx], ordered=ordered)
        od.opp = won_idx + offs["opp"]
        acc_of = self._accepted_of_opp
        od.quote = np.where(acc_of[won_idx] >= 0, acc_of[won_idx] + offs["quote"], -1)
        sub = self.products.subscription[ln.product]
        sub_total = np.bincount(
            ln.order - offs["order"],
            weights=np.where(sub, ln.qty * ln.price, 0),
            minlength=len(won_idx),
        ).astype(i64)
        svc_total = np.bincount(
            ln.order - offs["order"],
            weights=np.where(sub, 0, ln.qty * ln.price),
            minlength=len(won_idx),
        ).astype(i64)
        od.sub_total, od.svc_total = sub_total, svc_total
        # contracts for orders with subscriptions, not cancelled; expansions are
        # billed once with the order instead (co-terminous add-ons)
        expansion = s.type[won_idx] == 1
        od.svc_total = np.where(expansion, od.svc_total + od.sub_total, od.svc_total)
        od.sub_total = np.where(expansion, 0, od.sub_total)
        has = (od.sub_total > 0) & (od.cancelled == NA)
        ci = np.flatnonzero(has)
        m = len(ci)
        oi = won_idx[ci]
        early = (s.type[oi] == 2) & (rng.random(m) < 0.15)
        prev = s.prev_contract[oi]
        prev_end = np.where(prev >= 0, self.contracts.end_day[np.maximum(prev, 0)], NA)
        ordered_day = day_of(od.ordered[ci])
        start_day = np.where(
            (prev >= 0) & ~early,
            np.maximum(prev_end + 1, ordered_day),
            ordered_day + rng.integers(0, 15, m),
        )
        signed = np.maximum(od.ordered[ci] - rng.integers(0, 2 * DAY, m), o.final_close[oi])
        draft = np.maximum(signed - rng.integers(DAY, 7 * DAY, m), s.created[oi])
        cancel = np.where(
            rng.random(m) < 0.02, (start_day + rng.integers(60, 300, m)) * DAY + 11 * HOUR, NA
        )
        cancel = np.where(nz(od.refunded[ci]), od.refunded[ci] + HOUR, cancel)
        ct = NS(
            account=s.account[oi], order=ci + offs["order"], prev=prev, cur=s.cur[oi], start_day=start_day,
            end_day=add_months(start_day, 12) - 1, value=od.sub_total[ci], service_value=od.svc_total[ci], signed=signed,
            draft=draft, cancel=in_window(cancel), product=s.product[oi], seats=s.seats[oi],
            billing=np.where(s.type[oi] == 2, s.billing[oi], (rng.random(m) < 0.7).astype(i64)), owner=s.owner[oi],
        )  # fmt: skip
        # stage history rows
        valid = code >= 0
        rows_o, rows_k = np.nonzero(valid)
        h = NS(
            opp=rows_o + offs["opp"], local=rows_o, k=rows_k, code=code[rows_o, rows_k], entered=entry[rows_o, rows_k],
            amount=amt[rows_o, rows_k], manager=o.changer_manager[rows_o, rows_k],
        )  # fmt: skip
        q.opp = q.opp + offs["opp"]
        return NS(opps=o, hist=h, quotes=q, orders=od, lines=ln, contracts=ct)

    def _lines(self, rng: np.random.Generator, o: NS, won: np.ndarray) -> NS:
        """Order lines of won deals, priced at the (final) close."""
        n = len(won)
        t = o.final_close[won]
        disc = np.where(o.type[won] == 2, rng.uniform(0.0, 0.08, n), rng.uniform(0.0, 0.25, n))
        parts = [NS(opp=won, product=o.product[won], qty=o.seats[won], disc=disc, t=t)]
        k = np.where(o.type[won] == 1, 0, weighted(rng, (25, 45, 30), n))
        off1 = rng.integers(1, 5, n)
        off2 = rng.integers(1, 4, n)
        off2 = np.where(off2 >= off1, off2 + 1, off2)
        main_fam, main_tier = o.product[won] // 5, o.product[won] % 5
        for i, off in enumerate((off1, off2)):
            sel = k > i
            tier = np.maximum(main_tier - rng.integers(0, 2, n), 0)
            prod = ((main_fam + off) % 5) * 5 + tier
            qty = np.maximum(1, np.round(o.seats[won] * rng.uniform(0.2, 0.8, n))).astype(i64)
            parts.append(
                NS(opp=won[sel], product=prod[sel], qty=qty[sel], disc=disc[sel], t=t[sel])
            )
        svc = (o.type[won] != 2) & (rng.random(n) < 0.45)
        parts.append(NS(
            opp=won[svc], product=(25 + rng.integers(0, 3, n))[svc], qty=rng.integers(1, 21, n)[svc], disc=disc[svc], t=t[svc],
        ))  # fmt: skip
        ln = concat_ns(parts)
        order = np.argsort(ln.opp, kind="stable")
        ln = take_ns(ln, order)
        usd = np.round(self.price_at(ln.product, ln.t) * (1 - ln.disc)).astype(i64)
        ln.price = self.to_local(usd, o.cur[ln.opp], ln.t)
        return ln

    def _quotes(self, rng: np.random.Generator, o: NS) -> NS:
        n = len(o.created)
        # first entry at proposal or later (open stages 3-4)
        e = np.where((o.code[:, :5] >= 3), o.entry[:, :5], BIG).min(axis=1)
        has = e < BIG
        idx = np.flatnonzero(has)
        created = e[idx] + rng.integers(HOUR, 2 * DAY, len(idx))
        revised = (o.outcome[idx] == 1) & (rng.random(len(idx)) < 0.12)
        close = o.final_close[idx]
        parts = []
        # first (or only) quote
        q = NS(
            opp=idx,
            created=created,
            amount=np.round(o.amount_final[idx] * np.where(revised, 1.1, 1.0)).astype(i64),
        )
        q.role = np.where(revised, 1, 0)  # 1: superseded by a revision
        parts.append(q)
        ri = np.flatnonzero(revised)
        cr2 = np.where(
            nz(close[ri]),
            np.maximum(created[ri] + DAY, close[ri] - rng.integers(2, 8, len(ri)) * DAY),
            created[ri] + DAY,
        )
        parts.append(
            NS(
                opp=idx[ri],
                created=np.minimum(cr2, close[ri] - HOUR),
                amount=o.amount_final[idx[ri]],
                role=np.full(len(ri), 2, dtype=i64),
            )
        )
        q = concat_ns(parts)
        m = len(q.opp)
        close = o.final_close[q.opp]
        outcome = o.outcome[q.opp]
        q.created = np.minimum(q.created, np.where(nz(close), close - HOUR, BIG))
        draft_only = (outcome == 0) & (rng.random(m) < 0.05)
        q.sent = np.where(
            draft_only,
            NA,
            np.minimum(q.created + rng.integers(HOUR, 3 * DAY, m), np.where(nz(close), close, BIG)),
        )
        accept = (outcome == 1) & (q.role != 1)
        q.accepted = np.where(accept, np.maximum(close - rng.integers(0, DAY, m), q.sent), NA)
        expiry = q.sent + 30 * DAY
        lost_reject = (outcome == 2) & (rng.random(m) < 0.6)
        superseded = q.role == 1
        q.rejected = np.where(
            (lost_reject & (close <= expiry)) | superseded,
            np.where(superseded, o.final_close[q.opp] - 8 * DAY, close),
            NA,
        )
        q.rejected = np.where(superseded, np.maximum(q.sent + HOUR, q.created + DAY), q.rejected)
        q.expired = np.where(
            nz(q.sent) & (q.accepted == NA) & (q.rejected == NA) & ((outcome != 1) | superseded),
            expiry,
            NA,
        )
        q.expired = np.where((outcome == 0) & nz(q.sent), expiry, q.expired)
        for k in ("sent", "accepted", "rejected", "expired"):
            setattr(q, k, in_window(getattr(q, k)))
        q.account = o.account[q.opp]
        q.cur = o.cur[q.opp]
        q = take_ns(q, np.flatnonzero(q.created < T1 - MINUTE))
        acc_of = np.full(n, -1, dtype=i64)
        acc_idx = np.flatnonzero(nz(q.accepted))
        acc_of[q.opp[acc_idx]] = acc_idx
        self._accepted_of_opp = acc_of
        return q

    def _orders(
        self, rng: np.random.Generator, account: np.ndarray, cur: np.ndarray, ordered: np.ndarray
    ) -> NS:
        n = len(ordered)
        od = NS(account=account, cur=cur, ordered=ordered)
        od.promised_day = day_of(ordered) + rng.integers(5, 31, n)
        u = rng.random(n)
        cancelled = u < 0.03
        late = (u >= 0.03) & (u < 0.15)
        ok = ~cancelled & ~late
        ordered_day = day_of(ordered)
        dday = np.where(
            late,
            od.promised_day + rng.integers(1, 21, n),
            np.maximum(ordered_day + 1, od.promised_day - rng.integers(0, 5, n)),
        )
        dday = np.where(ok | late, dday, NA)
        od.shipped = in_window(
            np.where(
                cancelled,
                NA,
                np.minimum(
                    ordered + rng.integers(DAY, 5 * DAY, n),
                    np.where(dday != NA, dday * DAY + 9 * HOUR, BIG),
                ),
            )
        )
        od.delivered = in_window(np.where(dday != NA, dday * DAY + 15 * HOUR, NA))
        od.delivered_day = np.where(nz(od.delivered), dday, NA)
        od.cancelled = in_window(np.where(cancelled, ordered + rng.integers(DAY, 10 * DAY, n), NA))
        refund = nz(od.delivered) & (rng.random(n) < 0.02)
        od.refunded = in_window(np.where(refund, od.delivered + rng.integers(10, 61, n) * DAY, NA))
        return od

    def _reorders(self, rng: np.random.Generator) -> None:
        """Orders without an opportunity: services bought by existing customers."""
        od = self.orders
        won_orders = np.flatnonzero(nz(od.delivered))
        k = round(len(od.ordered) * 0.07)
        if len(won_orders) == 0 or k == 0:
            return
        base = won_orders[rng.integers(0, len(won_orders), k)]
        ordered = od.delivered[base] + rng.integers(30, 400, k) * DAY + rng.integers(0, 8 * HOUR, k)
        ok = ordered < T1 - HOUR
        base, ordered = base[ok], ordered[ok]
        ro = self._orders(rng, od.account[base], od.cur[base], ordered)
        m = len(base)
        ro.opp = np.full(m, -1, dtype=i64)
        ro.quote = np.full(m, -1, dtype=i64)
        first = len(od.ordered)
        prod = 25 + rng.integers(0, 3, m)
        qty = rng.integers(1, 11, m)
        usd = np.round(self.price_at(prod, ordered) * (1 - rng.uniform(0, 0.1, m))).astype(i64)
        price = self.to_local(usd, ro.cur, ordered)
        ro.sub_total = np.zeros(m, dtype=i64)
        ro.svc_total = qty * price
        self.orders = concat_ns([od, ro])
        ln = NS(
            opp=np.full(m, -1, dtype=i64),
            product=prod,
            qty=qty,
            disc=np.zeros(m),
            t=ordered,
            price=price,
            order=first + np.arange(m),
        )
        self.lines = concat_ns([self.lines, ln])

    def _finish_deals(self, rng: np.random.Generator) -> None:
        o = self.opps
        if o.n and not o.unmapped.any():  # tiny scales still show the defect
            i = int(self.rng(19).integers(o.n))
            o.unmapped[i] = True
            o.unmapped_stage[i] = o.final_code[i]
        L = self.leads
        # leads converted with an opportunity point at it
        conv = np.flatnonzero((o.lead >= 0) & (o.type == 0))
        L.conv_opp[o.lead[conv]] = conv
        ct = self.contracts
        ct.n = len(ct.account)
        ct.end_ts = (ct.end_day + 1) * DAY + HOUR
        ct.expire = in_window(np.where(ct.cancel == NA, ct.end_ts, NA))
        ct.signed = np.where(nz(ct.signed), np.maximum(ct.signed, ct.draft), NA)
        self.orders.n = len(self.orders.ordered)
        self.quotes.n = len(self.quotes.opp)
        self.lines.n = len(self.lines.order)
        self.hist.n = len(self.hist.opp)

    # ------------------------------------------------------------------ invoices and payments
    def build_invoices(self) -> None:
        rng = self.rng(10)
        ct, od = self.contracts, self.orders
        parts = []
        # contract instalments: annual (billing 0) or quarterly (billing 1)
        for k in range(4):
            sel = np.flatnonzero((ct.billing == 1) | (k == 0))
            months = 3 * k
            day = add_months(ct.start_day[sel], months)
            n_inst = np.where(ct.billing[sel] == 1, 4, 1)
            base = ct.value[sel] // n_inst
            amount = np.where(k == n_inst - 1, ct.value[sel] - base * (n_inst - 1), base)
            cancel_day = np.where(ct.cancel[sel] == NA, BIG, ct.cancel[sel] // DAY)
            ok = (day >= T0 // DAY) & (day < T1 // DAY - 1) & (day < cancel_day) & (amount > 0)
            parts.append(
                NS(
                    account=ct.account[sel][ok],
                    order=ct.order[sel][ok],
                    contract=sel[ok],
                    day=day[ok],
                    amount=amount[ok],
                    cur=ct.cur[sel][ok],
                    credit=np.zeros(int(ok.sum()), dtype=bool),
                )
            )
        # services (and one-off orders) invoiced when delivered
        sel = np.flatnonzero((od.svc_total > 0) & nz(od.delivered))
        contract_of_order = np.full(len(od.ordered), -1, dtype=i64)
        has_order = ct.order >= 0
        contract_of_order[ct.order[has_order]] = np.flatnonzero(has_order)
        parts.append(
            NS(
                account=od.account[sel],
                order=sel,
                contract=np.full(len(sel), -1, dtype=i64),
                day=od.delivered_day[sel] + rng.integers(0, 4, len(sel)),
                amount=od.svc_total[sel],
                cur=od.cur[sel],
                credit=np.zeros(len(sel), dtype=bool),
            )
        )
        inv = concat_ns(parts)
        n = len(inv.day)
        # credit notes: refunded orders in full, and a few partial ones
        ref = np.flatnonzero(nz(od.refunded))
        total = od.sub_total[ref] + od.svc_total[ref]
        cn1 = NS(
            account=od.account[ref],
            order=ref,
            contract=contract_of_order[ref],
            day=day_of(od.refunded[ref]),
            amount=-total,
            cur=od.cur[ref],
            credit=np.ones(len(ref), dtype=bool),
        )
        part = np.flatnonzero(rng.random(n) < 0.02)
        share = rng.uniform(0.1, 0.5, len(part))
        cn2 = NS(
            account=inv.account[part],
            order=inv.order[part],
            contract=inv.contract[part],
            day=inv.day[part] + rng.integers(5, 61, len(part)),
            amount=-np.round(inv.amount[part] * share).astype(i64),
            cur=inv.cur[part],
            credit=np.ones(len(part), dtype=bool),
        )
        inv = concat_ns([inv, cn1, cn2])
        keep = (inv.day < T1 // DAY) & (inv.amount != 0)
        inv = take_ns(inv, np.flatnonzero(keep))
        n = len(inv.day)
        inv.n = n
        inv.terms = np.array([30, 14, 45])[weighted(rng, (80, 10, 10), n)]
        inv.due_day = inv.day + inv.terms
        inv.created = np.minimum(inv.day * DAY + rng.integers(6 * HOUR, 18 * HOUR, n), T1 - 1)
        self.invoices = inv
        # payments
        pay = np.flatnonzero(~inv.credit)
        m = len(pay)
        u = rng.random(m)
        on_time = u < 0.72
        late = (u >= 0.72) & (u < 0.92)
        paid_day = np.where(
            on_time,
            inv.day[pay] + rng.integers(1, inv.terms[pay] + 1),
            inv.due_day[pay] + np.maximum(1, rng.lognormal(np.log(18), 0.8, m)).astype(i64),
        )
        paid = on_time | late
        split = paid & (rng.random(m) < 0.08)
        share = rng.uniform(0.3, 0.7, m)
        amount1 = np.where(split, np.round(inv.amount[pay] * share).astype(i64), inv.amount[pay])
        second_day = paid_day + rng.integers(5, 41, m)
        p1 = NS(invoice=pay, day=paid_day, amount=amount1)
        s_idx = np.flatnonzero(split)
        p2 = NS(
            invoice=pay[s_idx],
            day=second_day[s_idx],
            amount=inv.amount[pay][s_idx] - amount1[s_idx],
        )
        p1 = take_ns(p1, np.flatnonzero(paid))
        P = concat_ns([p1, p2])
        P = take_ns(P, np.flatnonzero(P.day < T1 // DAY))
        k = len(P.day)
        P.n = k
        P.account = inv.account[P.invoice]
        P.cur = inv.cur[P.invoice]
        P.created = P.day * DAY + rng.integers(7 * HOUR, 20 * HOUR, k)
        other = rng.random(k) < 0.03
        new_cur = np.where(P.cur == 0, 1, 0)
        usd = P.amount * self.fx.usd_per_unit(P.cur, P.created, vocab.CURRENCIES)
        conv = np.round(usd / self.fx.usd_per_unit(new_cur, P.created, vocab.CURRENCIES)).astype(
            i64
        )
        P.amount = np.where(other, conv, P.amount)
        P.cur = np.where(other, new_cur, P.cur)
        P.method = weighted(rng, (50, 20, 25, 5), k)
        self.payments = P

    # ------------------------------------------------------------------ support cases
    def build_cases(self) -> None:
        rng = self.rng(11)
        ct, a = self.contracts, self.accounts
        n = self.count("support_cases")
        # churned contracts: not renewed, not cancelled, ended in the window (cancellation requests)
        renewed = np.zeros(ct.n, dtype=bool)
        renewed[ct.prev[ct.prev >= 0]] = True
        churn = np.flatnonzero(~renewed & (ct.end_ts < T1) & (rng.random(ct.n) < 0.4))
        churn_t = (
            ct.end_ts[churn]
            - rng.integers(20, 81, len(churn)) * DAY
            + rng.integers(8 * HOUR, 17 * HOUR, len(churn))
        )
        ok = (churn_t > T0 + DAY) & (churn_t < T1 - HOUR)
        churn, churn_t = churn[ok], churn_t[ok]
        n_rest = max(n - len(churn), 0)
        customer = rng.random(n_rest) < 0.8
        cti = rng.integers(0, ct.n, n_rest)
        start = np.maximum(ct.start_day[cti] * DAY, T0 + DAY)
        end = np.minimum(ct.end_ts[cti], T1 - HOUR)
        t_cust = uniform_between(rng, start, end) // DAY * DAY + arrival_times(rng, n_rest) % DAY
        t_any = arrival_times(rng, n_rest, T0 + DAY, T1 - HOUR)
        acc_any = pick_existing(rng, a.created, t_any)
        opened = np.concatenate([churn_t, np.where(customer, t_cust, t_any)])
        account = np.concatenate([ct.account[churn], np.where(customer, ct.account[cti], acc_any)])
        keep = (account >= 0) & (opened < T1 - HOUR) & (opened > T0)
        typ_rest = weighted(rng, (42, 36, 10, 12), n_rest)
        ctype = np.concatenate([np.full(len(churn), 4, dtype=i64), typ_rest])
        idx = np.flatnonzero(keep)
        C = NS(opened=opened[idx], account=account[idx], type=ctype[idx])
        m = len(idx)
        C.n = m
        C.channel = weighted(rng, (30, 35, 20, 15), m)
        prio = weighted(rng, (5, 20, 45, 30), m)
        prio = np.where(C.type == 2, np.minimum(prio, weighted(rng, (15, 45, 30, 10), m)), prio)
        C.prio = prio
        C.contact = self.contacts_by_account.pick(rng, C.account, C.opened)
        C.owner = self.pick_rep(rng, self.pool_agent, a.region[C.account], C.opened)
        fr_h, res_h = self.sla[prio, 0] * HOUR, self.sla[prio, 1] * HOUR
        fr_met = rng.random(m) < 0.9
        fr = C.opened + np.where(
            fr_met, fr_h * rng.uniform(0.05, 0.95, m), fr_h * rng.uniform(1.05, 3.0, m)
        ).astype(i64)
        responded = rng.random(m) > 0.01
        res_met = rng.random(m) < 0.85
        res = C.opened + np.where(
            res_met, res_h * rng.uniform(0.1, 0.95, m), res_h * rng.uniform(1.05, 4.0, m)
        ).astype(i64)
        res = np.maximum(res, fr + MINUTE)
        never = (rng.random(m) < 0.03) | ~responded
        C.first_response = in_window(np.where(responded, fr, NA))
        C.pending = in_window(
            np.where(~never & (rng.random(m) < 0.35) & responded, fr + (res - fr) // 2, NA)
        )
        reopen = ~never & (rng.random(m) < 0.06)
        C.resolved1 = in_window(np.where(never, NA, res))
        C.reopened = in_window(
            np.where(reopen & nz(C.resolved1), res + rng.integers(DAY, 5 * DAY, m), NA)
        )
        C.resolved2 = in_window(
            np.where(nz(C.reopened), C.reopened + rng.integers(4 * HOUR, 48 * HOUR, m), NA)
        )
        final_res = np.where(nz(C.reopened), C.resolved2, C.resolved1)
        C.closed = in_window(
            np.where(
                nz(final_res) & (rng.random(m) < 0.95),
                final_res + rng.integers(DAY, 7 * DAY, m),
                NA,
            )
        )
        survey = nz(final_res) & (rng.random(m) < 0.4)
        C.survey = in_window(np.where(survey, final_res + rng.integers(HOUR, 3 * DAY, m), NA))
        met = res_met & ~reopen
        p_good = np.array([0.03, 0.05, 0.12, 0.35, 0.45])
        p_bad = np.array([0.15, 0.2, 0.25, 0.25, 0.15])
        s_good = rng.choice(5, m, p=p_good) + 1
        s_bad = rng.choice(5, m, p=p_bad) + 1
        C.score = np.where(met & (C.type != 2), s_good, s_bad)
        self.cases = C

    # ------------------------------------------------------------------ activities
    def build_activities(self) -> None:
        rng = self.rng(12)
        L, o, ct, C = self.leads, self.opps, self.contracts, self.cases
        f = ACTIVITY_FACTOR
        parts = []
        # A. prospecting on worked leads
        w = np.flatnonzero(nz(L.worked))
        end = np.minimum(
            np.where(
                nz(L.converted[w]),
                L.converted[w],
                np.where(
                    nz(L.qualified[w]),
                    L.qualified[w],
                    np.where(nz(L.unqualified[w]), L.unqualified[w], L.worked[w] + 30 * DAY),
                ),
            ),
            T1 - 1,
        )
        for kind, lam in ((0, 1.5), (1, 0.7)):
            par = repeat_parents(rng, np.full(len(w), lam * f))
            li = w[par]
            t = uniform_between(rng, L.worked[li], end[par])
            rep = self.keep_active(rng, L.owner[li], self.pool_sdr, L.region[li], t)
            parts.append(self._act(rng, kind, 0, t, rep=rep, lead=li))
        # B. deals: calls, emails, meetings, tasks between creation and close
        oend = np.where(nz(o.final_close), o.final_close, T1 - 1)
        for kind, lam in ((0, 2.6), (1, 2.6), (2, 1.3), (3, 0.7)):
            lam_v = np.full(o.n, lam * f) * np.where(o.type == 2, 0.5, 1.0)
            par = repeat_parents(rng, lam_v)
            t = uniform_between(rng, o.created[par], oend[par])
            acc = o.account[par]
            rep = self.keep_active(rng, o.owner[par], self.pool_ae, self.accounts.region[acc], t)
            contact = self.contacts_by_account.pick(rng, acc, t)
            parts.append(self._act(rng, kind, 0, t, rep=rep, account=acc, contact=contact, opp=par))
        # C. account managers with customers
        for kind, lam in ((0, 3.0), (2, 0.8)):
            par = repeat_parents(rng, np.full(ct.n, lam * f))
            lo = np.maximum(ct.start_day[par] * DAY, T0 + DAY)
            hi = np.minimum(ct.end_ts[par], T1 - 1)
            t = uniform_between(rng, lo, hi)
            ok = hi > lo
            par, t = par[ok], t[ok]
            acc = ct.account[par]
            rep = self.pick_rep(rng, self.pool_am, None, t)
            contact = self.contacts_by_account.pick(rng, acc, t)
            parts.append(self._act(rng, kind, 0, t, rep=rep, account=acc, contact=contact))
        # D. service: inbound calls opening phone cases, follow-ups, emails
        phone = np.flatnonzero(C.channel == 0)
        parts.append(
            self._act(
                rng,
                4,
                1,
                C.opened[phone],
                rep=C.owner[phone],
                account=C.account[phone],
                contact=C.contact[phone],
                case=phone,
            )
        )
        res_end = np.where(nz(C.resolved1), C.resolved1, np.minimum(C.opened + 5 * DAY, T1 - 1))
        par = repeat_parents(rng, np.where(C.channel == 0, 0.4, 1.6) * f)
        t = uniform_between(rng, C.opened[par] + MINUTE, res_end[par])
        kind = np.where(C.channel[par] == 0, 0, 1)
        for k in (0, 1):
            sel = kind == k
            pc_ = par[sel]
            parts.append(
                self._act(
                    rng,
                    k,
                    1,
                    t[sel],
                    rep=C.owner[pc_],
                    account=C.account[pc_],
                    contact=C.contact[pc_],
                    case=pc_,
                )
            )
        # E. abandoned inbound calls (no case, no agent)
        k = round(len(phone) * 0.12) if ct.n else 0
        t = arrival_times(rng, k, T0 + DAY, T1 - 1)
        cti = rng.integers(0, ct.n, k)
        acc = ct.account[cti]
        contact = self.contacts_by_account.pick(rng, acc, t)
        parts.append(self._act(rng, 5, 1, t, account=acc, contact=contact))
        A = concat_ns(parts)
        keep = A.created < T1
        A = take_ns(A, np.flatnonzero(keep))
        A.n = len(A.created)
        self.activities = A

    def _act(
        self, rng: np.random.Generator, kind: int, purpose: int, t: np.ndarray, **refs: np.ndarray
    ) -> NS:
        """Activities of one kind: 0 sales call, 1 email, 2 meeting, 3 task,
        4 inbound service call (answered), 5 abandoned inbound call."""
        n = len(t)
        neg = np.full(n, -1, dtype=i64)
        a = NS(
            **{
                k: refs.get(k, neg).astype(i64)
                for k in ("rep", "account", "contact", "lead", "opp", "case")
            }
        )
        a.purpose = np.full(n, purpose, dtype=i64)
        a.type = np.full(n, {0: 0, 1: 1, 2: 2, 3: 3, 4: 0, 5: 0}[kind], dtype=i64)
        na = np.full(n, NA)
        a.queue = a.talk = a.hold = a.wrap = na
        a.scheduled = na
        a.cancel_at = na
        a.created = t.astype(i64)
        a.done = t.astype(i64)
        if kind == 0:
            a.direction = np.ones(n, dtype=i64)
            a.outcome = weighted(rng, (45, 35, 20), n)
            a.talk = np.where(
                a.outcome == 0,
                np.maximum(20, rng.lognormal(np.log(360), 0.7, n)),
                np.where(a.outcome == 2, rng.integers(15, 61, n), 0),
            ).astype(i64)
            a.subject = rng.integers(0, 5, n)
        elif kind == 1:
            a.direction = np.where(rng.random(n) < 0.85, 1, 0)
            a.outcome = np.full(n, 4, dtype=i64)
            a.subject = 5 + rng.integers(0, 5, n)
        elif kind in (2, 3):
            a.direction = np.where(kind == 2, np.ones(n, dtype=i64), neg)
            lead_days = rng.integers(1, 15, n) if kind == 2 else rng.integers(1, 8, n)
            a.scheduled = (t // DAY + lead_days) * DAY + rng.integers(8 * HOUR, 17 * HOUR, n)
            # planned instants stay inside the window (an export shows nothing later)
            a.scheduled = np.where(
                a.scheduled < T1, a.scheduled, uniform_between(rng, t, np.full(n, T1 - 1))
            )
            u = rng.random(n)
            done = u < (0.82 if kind == 2 else 0.85)
            cancel = (u >= 0.82) & (u < 0.92) & (kind == 2)
            a.done = in_window(
                np.where(
                    done,
                    a.scheduled
                    + np.where(
                        kind == 2, rng.integers(30, 61, n) * MINUTE, -rng.integers(0, DAY, n)
                    ),
                    NA,
                )
            )
            a.done = np.where(nz(a.done), np.maximum(a.done, t), NA)
            a.cancel_at = in_window(np.where(cancel, uniform_between(rng, t, a.scheduled), NA))
            a.outcome = np.where(done, 4, np.where(cancel, 5, -1))
            a.subject = (10 if kind == 2 else 15) + rng.integers(0, 5, n)
        elif kind == 4:
            a.direction = np.zeros(n, dtype=i64)
            a.outcome = np.zeros(n, dtype=i64)
            a.queue = np.maximum(0, rng.lognormal(np.log(35), 0.9, n)).astype(i64)
            a.talk = np.maximum(30, rng.lognormal(np.log(420), 0.6, n)).astype(i64)
            a.hold = np.where(rng.random(n) < 0.6, 0, rng.lognormal(np.log(80), 0.7, n)).astype(i64)
            a.wrap = np.maximum(10, rng.lognormal(np.log(100), 0.6, n)).astype(i64)
            a.done = t + a.queue + a.talk + a.hold
            a.subject = np.full(n, 20, dtype=i64)
        else:
            a.direction = np.zeros(n, dtype=i64)
            a.outcome = np.full(n, 3, dtype=i64)
            a.queue = np.where(rng.random(n) < 0.15, 0, rng.lognormal(np.log(90), 0.9, n)).astype(
                i64
            )
            a.done = t + a.queue
            a.created = a.done
            a.subject = np.full(n, 20, dtype=i64)
        if kind in (0, 1) and purpose == 1:
            a.subject = 21 + rng.integers(0, 3, n)
        return a

    # ------------------------------------------------------------------ web sessions
    def build_web_sessions(self) -> None:
        rng = self.rng(13)
        L = self.leads
        n_target = self.count("web_sessions")
        forms = np.flatnonzero(L.form >= 0)
        dur = rng.integers(60, 900, len(forms))
        s1 = NS(
            lead=forms,
            started=np.maximum(L.submitted[forms] - dur, T0),
            dur=dur,
            pv=2 + rng.poisson(3, len(forms)),
            goal=np.ones(len(forms), dtype=bool),
            page=L.form[forms] + 100,
        )
        k = len(forms)
        par = forms[rng.random(k) < 0.5]
        st = after(rng, L.submitted[par], 10 * DAY, 1.0)
        ok = st < T1 - HOUR
        par, st = par[ok], st[ok]
        m = len(par)
        pv = 1 + rng.geometric(0.35, m) - 1
        s2 = NS(
            lead=par,
            started=st,
            dur=np.where(pv <= 1, 0, rng.lognormal(np.log(150), 0.8, m)).astype(i64),
            pv=pv,
            goal=rng.random(m) < 0.03,
            page=weighted(rng, [w for _, w in vocab.LANDING_PAGES], m),
        )
        k3 = max(n_target - len(forms) - m, 0)
        pv = rng.geometric(0.45, k3)
        bounce = pv <= 1
        s3 = NS(
            lead=np.full(k3, -1, dtype=i64), started=arrival_times(rng, k3, weekend=0.5, hours=(14.0, 5.0)),
            dur=np.where(bounce, np.where(rng.random(k3) < 0.7, 0, rng.integers(1, 30, k3)), rng.lognormal(np.log(60) , 0.9, k3) * pv).astype(i64),
            pv=pv, goal=rng.random(k3) < 0.012, page=weighted(rng, [w for _, w in vocab.LANDING_PAGES], k3),
        )  # fmt: skip
        W = concat_ns([s1, s2, s3])
        W.n = len(W.started)
        W.visitor = np.where(W.lead >= 0, W.lead, 5_000_000 + rng.integers(0, max(k3 // 2, 1), W.n))
        W.source = weighted(rng, [w for _, w in vocab.TRAFFIC_SOURCES], W.n)
        self.web = W

    # ------------------------------------------------------------------ email list events
    def build_email_events(self) -> None:
        rng = self.rng(14)
        L = self.leads
        target = self.count("email_list_events")
        forms = np.flatnonzero(L.form >= 0)
        opt = forms[(L.form[forms] == 5) | (rng.random(len(forms)) < 0.25)]
        n_sub_target = round(target / 1.32)
        k_anon = max(n_sub_target - len(opt), 0)
        t_anon = arrival_times(rng, k_anon, weekend=0.5, hours=(14.0, 5.0))
        first = pick(vocab.FIRST_NAMES, rng.integers(0, len(vocab.FIRST_NAMES), k_anon))
        last = pick(vocab.LAST_NAMES, rng.integers(0, len(vocab.LAST_NAMES), k_anon))
        anon_email = concat(
            text.email_local(first, last),
            text.num(rng.integers(1, 999, k_anon)),
            "@",
            pick(vocab.FREEMAIL_DOMAINS, rng.integers(0, 3, k_anon)),
        )
        email = pa.concat_arrays([L.email.take(pa.array(opt)), self._email_case(rng, anon_email)])
        t = np.concatenate([L.submitted[opt] + rng.integers(1, 30, len(opt)), t_anon])
        n = len(t)
        lst = np.where(
            np.concatenate([L.form[opt] == 3, np.zeros(k_anon, dtype=bool)]),
            2,
            weighted(rng, [w for _, w in vocab.EMAIL_LISTS], n),
        )
        unsub = rng.random(n) < 0.28
        t_un = after(rng, t, 120 * DAY, 1.0)
        un_ok = unsub & (t_un < T1 - MINUTE)
        resub = un_ok & (rng.random(n) < 0.1)
        t_re = after(rng, t_un, 60 * DAY, 1.0)
        re_ok = resub & (t_re < T1 - MINUTE)
        u_idx, r_idx = np.flatnonzero(un_ok), np.flatnonzero(re_ok)
        E = NS()
        E.person = np.concatenate([np.arange(n), u_idx, r_idx])
        E.type = np.concatenate(
            [
                np.zeros(n, dtype=i64),
                np.ones(len(u_idx), dtype=i64),
                np.zeros(len(r_idx), dtype=i64),
            ]
        )
        E.occurred = np.concatenate([t, t_un[u_idx], t_re[r_idx]])
        E.list = lst[E.person]
        E.email = email.take(pa.array(E.person))
        E.n = len(E.occurred)
        self.email_events = E

    # ------------------------------------------------------------------ campaign members
    def build_campaign_members(self) -> None:
        rng = self.rng(15)
        c, L, C = self.campaigns, self.leads, self.contacts
        target = self.count("campaign_members")
        gen = np.flatnonzero((L.campaign >= 0) & (L.kind == 0))
        t = L.created[gen]
        m1 = NS(
            campaign=L.campaign[gen],
            lead=gen,
            contact=np.full(len(gen), -1, dtype=i64),
            added=t,
            sent=t,
            responded=t + rng.integers(0, 30, len(gen)),
        )
        k = max(target - len(gen), 0)
        camp = weighted(rng, c.weight_members, k)
        added = np.maximum(c.start[camp] - rng.integers(0, 14 * DAY, k), T0 + HOUR)
        use_lead = rng.random(k) < 0.6
        lead = np.where(use_lead, pick_existing(rng, L.created, added), -1)
        contact = np.where(~use_lead, pick_existing(rng, C.created, added), -1)
        ok = (lead >= 0) | (contact >= 0)
        dur = (c.end_day[camp] - c.start_day[camp] + 1) * DAY
        sent = np.where(
            rng.random(k) < 0.92,
            c.start[camp] + (rng.random(k) * np.minimum(dur, 7 * DAY)).astype(i64),
            NA,
        )
        sent = np.where(nz(sent), np.maximum(sent, added), NA)
        resp = nz(sent) & (rng.random(k) < 0.06)
        responded = np.where(resp, after(rng, np.where(nz(sent), sent, 0), 1.5 * DAY), NA)
        m2 = NS(
            campaign=camp, lead=lead, contact=contact, added=added, sent=sent, responded=responded
        )
        m2 = take_ns(m2, np.flatnonzero(ok))
        M = concat_ns([m1, m2])
        keep = M.added < T1
        M = take_ns(M, np.flatnonzero(keep))
        M.sent = in_window(M.sent)
        M.responded = in_window(M.responded)
        M.n = len(M.added)
        self.members = M

    # ------------------------------------------------------------------ targets
    def build_targets(self) -> None:
        rng = self.rng(16)
        r = self.reps
        months = np.arange(36)
        month_day = np.array([add_months(np.array([T0 // DAY]), int(k))[0] for k in months])
        month_end = np.array([add_months(np.array([T0 // DAY]), int(k) + 1)[0] for k in months])
        rows = []  # (rep, team, source, metric, month, value cents)
        quota = rng.uniform(30_000, 90_000, r.n)
        calls = rng.uniform(150, 350, r.n)
        ae, sdr, pm, am = (
            ROLES.index(x)
            for x in ("account_executive", "sdr", "partner_manager", "account_manager")
        )
        spec = {
            ae: ((0, 1.0), (1, 1.0), (2, 1.0)),
            sdr: ((2, 1.5),),
            pm: ((0, 0.8), (1, 1.0)),
            am: ((0, 0.4), (2, 0.6)),
        }
        for ri in range(r.n):
            if int(r.role[ri]) not in spec:
                continue
            active = (r.hired_day[ri] < month_day) & (
                np.where(r.left_day[ri] == NA, BIG, r.left_day[ri]) >= month_end - 1
            )
            for mk in np.flatnonzero(active):
                growth = 1 + 0.012 * mk
                for metric, fct in spec[int(r.role[ri])]:
                    if metric == 0:
                        v = round(quota[ri] * fct * growth, -3) * 100
                    elif metric == 1:
                        v = max(1, round(quota[ri] * fct * growth / 15_000)) * 100
                    else:
                        v = round(calls[ri] * fct) * 100
                    rows.append((ri, -1, -1, metric, mk, v))
        for ti in range(8):  # sales and partner teams
            for mk in months:
                members = int(((r.team == ti) & (r.role != 0)).sum())
                rows.append(
                    (-1, ti, -1, 0, mk, round(members * 60_000 * (1 + 0.012 * mk), -3) * 100)
                )
                rows.append((-1, ti, -1, 1, mk, max(1, members * 4) * 100))
        srcs = (
            "Website",
            "Web Form",
            "Organic Search",
            "Paid Search",
            "LinkedIn",
            "Cold Call",
            "Trade Show",
            "Referral",
            "Partner Referral",
            "Webinar",
        )
        weights = {s: w for s, _, w in vocab.LEAD_SOURCES}
        total_w = sum(w for _, _, w in vocab.LEAD_SOURCES)
        per_month = self.count("leads") / 36
        for si, s in enumerate(srcs):
            for mk in months:
                rows.append(
                    (
                        -1,
                        -1,
                        si,
                        3,
                        mk,
                        round(per_month * weights[s] / total_w * (0.8 + 0.012 * mk)) * 100,
                    )
                )
        arr = np.array(rows, dtype=i64).reshape(-1, 6)
        n = len(arr)
        T = NS(
            n=n,
            rep=arr[:, 0],
            team=arr[:, 1],
            source=arr[:, 2],
            metric=arr[:, 3],
            month=arr[:, 4],
            value=arr[:, 5],
        )
        T.month_day = month_day[T.month]
        T.source_names = srcs
        set_day = add_months(T.month_day, -1) + rng.integers(15, 27, n)
        T.created = np.maximum(
            set_day * DAY + 10 * HOUR + rng.integers(0, HOUR, n),
            T0 + DAY + 9 * HOUR + rng.integers(0, 8 * HOUR, n),
        )
        rev = rng.random(n) < config.TOUCH_RATES["targets"]
        T.revised = in_window(
            np.where(rev, (T.month_day + rng.integers(5, 20, n)) * DAY + 11 * HOUR, NA)
        )
        T.revised = np.where(T.revised > T.created, T.revised, NA)
        T.value2 = np.round(T.value * rng.uniform(0.85, 1.15, n) / 100).astype(i64) * 100
        self.targets = T

    # ------------------------------------------------------------------ missing references
    def inject_missing_references(self) -> None:
        rng = self.rng(17)
        targets = {
            ("activities", "contact_id"): (self.activities, "contact"),
            ("activities", "account_id"): (self.activities, "account"),
            ("opportunities", "account_id"): (self.opps, "account_ref"),
            ("support_cases", "contact_id"): (self.cases, "contact"),
            ("payments", "invoice_id"): (self.payments, "invoice_ref"),
        }
        self.opps.account_ref = self.opps.account.copy()
        self.payments.invoice_ref = self.payments.invoice.copy()
        for key in config.MISSING_REFERENCE_COLUMNS:
            ns, attr = targets[key]
            arr = getattr(ns, attr)
            cand = np.flatnonzero(arr >= 0)
            hit = cand[rng.random(len(cand)) < config.MISSING_REFERENCE_RATE]
            arr = arr.copy()
            arr[hit] = config.DANGLING_BASE + rng.integers(0, 10_000_000, len(hit))
            setattr(ns, attr, arr)

    # ------------------------------------------------------------------ soft deletes
    def deleted_at(
        self, rng: np.random.Generator, table: str, last_change: np.ndarray
    ) -> np.ndarray | None:
        if table not in config.SOFT_DELETE_TABLES:
            return None
        n = len(last_change)
        hit = rng.random(n) < config.SOFT_DELETE_RATE
        t = last_change + rng.integers(DAY, 90 * DAY, n)
        return np.where(hit & (t < T1), t, NA)

    # ------------------------------------------------------------------ tables
    def tables(self) -> dict[str, TableModel]:
        from crm_warehouse.demo import tables as tbl

        return tbl.all_tables(self)


def last_change(changes: list[np.ndarray]) -> np.ndarray:
    m = np.stack(changes, axis=1)
    return np.where(m == NA, np.iinfo(np.int64).min, m).max(axis=1)
