"""Sales deals: opportunities in rounds (stage paths with skips and re-opens,
win / loss), their stage history and quotes. Won deals get order lines, orders
and, for subscriptions, 12-month contracts (crm_warehouse.demo.sim.finance).
Contracts ending in the window start renewal opportunities and won deals start
expansions: the next round. Migrated customers' contracts (started in 2022)
renew in 2023."""

from __future__ import annotations

from types import SimpleNamespace as NS
from typing import Any

import numpy as np
import pyarrow as pa

from crm_warehouse.demo import config, vocab
from crm_warehouse.demo.sim.finance import (
    add_reorders,
    amend_contracts,
    order_lines_of_won,
    round_contracts,
    round_orders,
)
from crm_warehouse.demo.sim.forecast import forecast_category
from crm_warehouse.demo.sim.records import (
    BIG,
    TableModel,
    at,
    concat_ns,
    day_number,
    i64,
    in_window,
    nz,
    pick_between,
    pick_existing,
    reached,
    take_ns,
)
from crm_warehouse.demo.sim.registry import builds, table_model
from crm_warehouse.demo.sim.revisions import AmountRevisions
from crm_warehouse.demo.sim.world import Sim
from crm_warehouse.demo.text import concat, keys, pick, weighted, where
from crm_warehouse.demo.timeline import (
    DAY,
    HOUR,
    MINUTE,
    NA,
    T0,
    T1,
    add_months,
    after,
    arrival_times,
    day_of,
)

OPP_TYPES = ("new_business", "expansion", "renewal")
STAGE_DWELL_DAYS = np.array([10.0, 12.0, 14.0, 15.0, 12.0])
WON, LOST = 5, 6


def _product_choice(
    rng: np.random.Generator, employees: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Product (family x tier, larger accounts buy higher tiers) and seats of new deals."""
    n = len(employees)
    fam = weighted(rng, (40, 15, 17, 18, 10), n)
    size = np.clip(np.log10(np.maximum(employees, 2)) - 1.0, 0, 3.5)
    tier = np.clip(np.round(size + rng.normal(0, 0.7, n)), 0, 4).astype(i64)
    product = fam * len(vocab.PRODUCT_TIERS) + tier
    seats = np.clip(
        np.round(rng.lognormal(np.log(np.maximum(employees * 0.06, 3)), 0.5)), 3, 5000
    ).astype(i64)
    return product, seats


def _seeds(**kw: np.ndarray) -> NS:
    """Deal seeds: the given columns, the others at their defaults (none, new business, USD)."""
    n = len(kw["created"])
    base = dict(
        account=np.full(n, -1, dtype=i64), owner=np.full(n, -1, dtype=i64), type=np.zeros(n, dtype=i64),
        cur=np.zeros(n, dtype=i64), partner=np.full(n, -1, dtype=i64), campaign=np.full(n, -1, dtype=i64),
        lead=np.full(n, -1, dtype=i64), prev_contract=np.full(n, -1, dtype=i64), product=np.zeros(n, dtype=i64),
        seats=np.ones(n, dtype=i64), billing=np.zeros(n, dtype=i64),
    )  # fmt: skip
    base.update(kw)
    return NS(**base)


def simulate_deals(sim: Sim) -> None:
    """Opportunities, stage history, quotes, orders, order lines and contracts."""
    rng = sim.rng(9)
    seeds = _first_seeds(sim, rng)
    ct = _migrated_contracts(sim, rng)
    sim.contracts = ct
    seeds = concat_ns([seeds, _renewal_seeds(sim, rng, ct, np.arange(len(ct.account)))])
    _run_rounds(sim, rng, seeds)
    amend_contracts(sim)
    add_reorders(sim, rng)
    _finish_deals(sim)
    _opportunity_texts(sim)


def _first_seeds(sim: Sim, rng: np.random.Generator) -> NS:
    """Round-0 seeds: conversions, AE-sourced new business, partner-registered deals."""
    a, L, p = sim.accounts, sim.leads, sim.partners
    cl = sim.conv_opp_leads
    acc = L.conv_account[cl]
    t = L.converted[cl]
    prod, seats = _product_choice(rng, a.employees[acc])
    conv = _seeds(
        created=t, account=acc, owner=sim.keep_active(rng, a.owner[acc], sim.pool_ae, a.region[acc], t),
        cur=a.cur[acc], campaign=L.campaign[cl], lead=cl, product=prod, seats=seats, partner=a.partner[acc],
    )  # fmt: skip
    n_opp = sim.count("opportunities")
    n_direct = round(n_opp * 0.10)
    t = arrival_times(rng, n_direct, T0 + 20 * DAY, T1 - DAY)
    acc = pick_existing(rng, a.created, t)
    ok = acc >= 0
    t, acc = t[ok], acc[ok]
    prod, seats = _product_choice(rng, a.employees[acc])
    direct = _seeds(
        created=t, account=acc, owner=sim.keep_active(rng, a.owner[acc], sim.pool_ae, a.region[acc], t),
        cur=a.cur[acc], product=prod, seats=seats, partner=a.partner[acc],
    )  # fmt: skip
    n_partner = round(n_opp * 0.07)
    t = arrival_times(rng, n_partner, T0 + 20 * DAY, T1 - DAY)
    acc = pick_existing(rng, a.created, t)
    prt = pick_existing(rng, p.created, t)
    ok = (acc >= 0) & (prt >= 0)
    t, acc, prt = t[ok], acc[ok], prt[ok]
    prod, seats = _product_choice(rng, a.employees[acc])
    owner = np.where(rng.random(len(t)) < 0.5, p.manager[prt], a.owner[acc])
    partner = _seeds(
        created=t, account=acc, owner=sim.keep_active(rng, owner, sim.pool_ae, a.region[acc], t),
        cur=a.cur[acc], product=prod, seats=seats, partner=prt,
    )  # fmt: skip
    seeds = concat_ns([conv, direct, partner])
    # more partner registrations and primary campaigns
    k = len(seeds.created)
    extra_p = (seeds.partner < 0) & (rng.random(k) < 0.02)
    seeds.partner = np.where(extra_p, pick_existing(rng, p.created, seeds.created), seeds.partner)
    c = sim.campaigns
    extra_c = (seeds.campaign < 0) & (rng.random(k) < 0.3)
    near = pick_between(rng, c.start, seeds.created - 120 * DAY, seeds.created)
    seeds.campaign = np.where(extra_c, near, seeds.campaign)
    return seeds


def _migrated_contracts(sim: Sim, rng: np.random.Generator) -> NS:
    """Migrated customers' contracts: started in 2022, renewing in 2023."""
    a = sim.accounts
    mig = np.flatnonzero(a.migrated & (rng.random(a.n) < 0.6))
    m = len(mig)
    start_day = rng.integers(day_number(2022, 1, 1), day_number(2022, 12, 31), m)
    prod, seats = _product_choice(rng, a.employees[mig])
    price = sim.price_at(prod, np.full(m, T0)) * seats * rng.uniform(0.75, 1.0, m)
    value = sim.to_local(np.round(price).astype(i64), a.cur[mig], np.full(m, T0))
    ct = NS(
        account=mig, order=np.full(m, -1, dtype=i64), prev=np.full(m, -1, dtype=i64), cur=a.cur[mig],
        start_day=start_day, end_day=add_months(start_day, 12) - 1, value=value, service_value=np.zeros(m, dtype=i64),
        signed=np.full(m, NA), draft=T0 + DAY + 8 * HOUR + rng.integers(0, 8 * DAY, m),
        cancel=np.full(m, NA), product=prod, seats=seats, billing=(rng.random(m) < 0.7).astype(i64),
        owner=a.owner[mig],
    )  # fmt: skip
    return ct


def _run_rounds(sim: Sim, rng: np.random.Generator, seeds: NS) -> None:
    """Deal rounds until no seeds are left (at most 12); each round's contracts
    and won deals seed the next (renewals, expansions)."""
    opps, hist, quotes, orders, lines = [], [], [], [], []
    offs = dict(opp=0, quote=0, order=0, contract=len(sim.contracts.account))
    for round_no in range(12):
        if len(seeds.created) == 0:
            break
        r = _deal_round(sim, sim.rng(100 + round_no), seeds, offs)
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
        sim.contracts = concat_ns([sim.contracts, new_ct])
        offs["contract"] += len(new_ct.account)
        seeds = concat_ns([
            _renewal_seeds(sim, rng, sim.contracts, first_new + np.arange(len(new_ct.account))),
            _expansion_seeds(sim, rng, r.opps),
        ])  # fmt: skip
    sim.opps = concat_ns(opps)
    sim.opps.n = len(sim.opps.created)
    sim.hist = concat_ns(hist)
    sim.quotes = concat_ns(quotes)
    sim.orders = concat_ns(orders)
    sim.lines = concat_ns(lines)


def _renewal_seeds(sim: Sim, rng: np.random.Generator, ct: NS, idx: np.ndarray) -> NS:
    """Renewal deals of contracts `idx`, opened 60-100 days before each ends (not cancelled)."""
    end = (ct.end_day[idx] + 1) * DAY
    created = end - rng.integers(60, 101, len(idx)) * DAY + 10 * HOUR
    created = np.where(end > T0 + 15 * DAY, np.maximum(created, T0 + 2 * DAY + 10 * HOUR), created)
    ok = (created < T1 - DAY) & (created > T0) & (ct.cancel[idx] == NA)
    idx, created = idx[ok], created[ok]
    acc = ct.account[idx]
    owner = sim.pick_rep(rng, sim.pool_am, None, created)
    return _seeds(
        created=created, account=acc, owner=owner, type=np.full(len(idx), 2, dtype=i64), cur=ct.cur[idx],
        prev_contract=idx, product=ct.product[idx],
        seats=np.maximum(3, np.round(ct.seats[idx] * rng.uniform(0.85, 1.25, len(idx)))).astype(i64),
        billing=ct.billing[idx], partner=sim.accounts.partner[acc],
    )  # fmt: skip


def _expansion_seeds(sim: Sim, rng: np.random.Generator, o: NS) -> NS:
    """Expansion deals of won deals: a higher tier or another family, 3-13 months later."""
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
        rng.random(n) < 0.5, sim.pick_rep(rng, sim.pool_am, None, created), o.owner[sel]
    )
    owner = sim.keep_active(rng, owner, sim.pool_am, None, created)
    return _seeds(
        created=created, account=acc, owner=owner, type=np.ones(n, dtype=i64), cur=o.cur[sel],
        product=product, seats=np.maximum(3, o.seats[sel] // 3), partner=o.partner[sel],
    )  # fmt: skip


def _deal_round(sim: Sim, rng: np.random.Generator, s: NS, offs: dict[str, int]) -> NS:
    """One round of deals from their seeds: opportunities with their stage
    paths and amounts, stage history, quotes, and for won deals order lines,
    orders and contracts. `offs` holds the records of earlier rounds."""
    n = len(s.created)
    o, reopen = _stage_paths(rng, s)
    ln = _deal_amounts(sim, rng, s, o, reopen)
    o.win_reason = weighted(rng, [x[1] for x in vocab.WIN_REASONS], n)
    o.loss_reason = weighted(rng, [x[1] for x in vocab.LOSS_REASONS], n)
    o.spell = np.stack(
        [weighted(rng, [w for _, w in vocab.STAGE_SPELLINGS[st]], n) for st in vocab.STAGES],
        axis=1,
    )
    o.unmapped = rng.random(n) < config.UNMAPPED_STAGE_RATE
    o.unmapped_stage = np.where(o.unmapped, o.final_code, -1)
    o.changer_manager = rng.random((n, 8)) < 0.08
    q, accepted = _quotes(rng, o)
    od, ln, won_idx = round_orders(sim, rng, s, o, ln, accepted, offs)
    ct = round_contracts(sim, rng, s, o, od, won_idx, offs)
    # stage history rows
    code, entry = o.code, o.entry
    rows_o, rows_k = np.nonzero(code >= 0)
    h = NS(
        opp=rows_o + offs["opp"], local=rows_o, k=rows_k, code=code[rows_o, rows_k], entered=entry[rows_o, rows_k],
        amount=o.amount[rows_o, rows_k], manager=o.changer_manager[rows_o, rows_k],
    )  # fmt: skip
    q.opp = q.opp + offs["opp"]
    return NS(opps=o, hist=h, quotes=q, orders=od, lines=ln, contracts=ct)


def _stage_paths(rng: np.random.Generator, s: NS) -> tuple[NS, np.ndarray]:
    """The deals of a round with their stage entries (8 slots: 5 open stages,
    the close, a re-open and its close) and outcome; and which were re-opened."""
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
    o.final_code = final_code
    return o, reopen


def _deal_amounts(sim: Sim, rng: np.random.Generator, s: NS, o: NS, reopen: np.ndarray) -> NS:
    """Each deal's amount per stage slot (local cents; won deals sum their
    order lines, priced at the close); returns the order lines of won deals."""
    n = len(s.created)
    code, outcome = o.code, o.outcome
    # amounts (local cents); won deals get order lines priced at the close
    list_usd = sim.price_at(s.product, s.created) * s.seats
    est = sim.to_local(np.round(list_usd * rng.uniform(0.7, 1.0, n)).astype(i64), s.cur, s.created)
    ln = order_lines_of_won(sim, rng, o, np.flatnonzero(outcome == 1))
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
    return ln


def _quotes(rng: np.random.Generator, o: NS) -> tuple[NS, np.ndarray]:
    """Quotes of a round's deals (some revised) and the accepted quote of each deal (-1: none)."""
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
    return q, acc_of


def _finish_deals(sim: Sim) -> None:
    """Counts, contract expiries, and the opportunity each converted lead points at."""
    o = sim.opps
    if o.n and not o.unmapped.any():  # tiny scales still show the defect
        i = int(sim.rng(19).integers(o.n))
        o.unmapped[i] = True
        o.unmapped_stage[i] = o.final_code[i]
    L = sim.leads
    # leads converted with an opportunity point at it
    conv = np.flatnonzero((o.lead >= 0) & (o.type == 0))
    L.conv_opp[o.lead[conv]] = conv
    ct = sim.contracts
    ct.n = len(ct.account)
    ct.end_ts = (ct.end_day + 1) * DAY + HOUR
    ct.expire = in_window(np.where(ct.cancel == NA, ct.end_ts, NA))
    ct.signed = np.where(nz(ct.signed), np.maximum(ct.signed, ct.draft), NA)
    sim.orders.n = len(sim.orders.ordered)
    sim.quotes.n = len(sim.quotes.opp)
    sim.lines.n = len(sim.lines.order)
    sim.hist.n = len(sim.hist.opp)


def _opportunity_texts(sim: Sim) -> None:
    """Opportunity names, stage names written with spaces around them, and the
    new deals whose account is not filled in yet (own random stream)."""
    o, a, p = sim.opps, sim.accounts, sim.products
    n = o.n
    rng = sim.rng(990)
    o.stage_ws = rng.random(n) < 0.02
    o.blank_account = rng.random(n) < 0.05
    fam = pick([f[0] for f in vocab.PRODUCT_FAMILIES], p.family[o.product])
    suffix = pick((" - New", " - Expansion", " - Renewal"), o.type)
    acc_name = a.name.take(pa.array(o.account))
    o.name = concat(acc_name, " - ", fam, suffix)


def _stage_texts() -> tuple[list[str], np.ndarray]:
    """Flat list of stage spellings (+ unmapped names at the end) and the offset of each stage."""
    flat: list[str] = []
    offset = []
    for st in vocab.STAGES:
        offset.append(len(flat))
        flat += [s for s, _ in vocab.STAGE_SPELLINGS[st]]
    flat += [vocab.UNMAPPED_STAGES[st] for st in vocab.STAGES]
    return flat, np.array(offset)


STAGE_FLAT, STAGE_OFFSET = _stage_texts()


def stage_text(sim: Sim, opp: np.ndarray, code: np.ndarray) -> pa.Array:
    """The CRM spelling of stage `code` for each opportunity (unmapped names for
    the UNMAPPED_STAGE_RATE of deals, on their final stage)."""
    o = sim.opps
    c = np.maximum(code, 0)
    idx = STAGE_OFFSET[c] + o.spell[opp, c]
    unm = o.unmapped[opp] & (o.unmapped_stage[opp] == code)
    idx = np.where(unm, len(STAGE_FLAT) - len(vocab.STAGES) + c, idx)
    out = pick(STAGE_FLAT, np.where(code >= 0, idx, -1))
    ws = o.stage_ws[opp]
    return where(ws, concat(" ", out, " "), out)


@builds("opportunities")
def opportunities_table(sim: Sim) -> TableModel:
    o = sim.opps
    n = o.n
    revisions = AmountRevisions(o)

    def build(rec: np.ndarray, asof: np.ndarray) -> dict[str, Any]:
        entry = o.entry[rec]
        valid = (entry != NA) & (asof[:, None] >= entry)
        col = 7 - np.argmax(valid[:, ::-1], axis=1)
        rows = np.arange(len(rec))
        code = o.code[rec, col]
        closed = code >= 5
        closed_at = np.where(closed, entry[rows, col], NA)
        asof_day = day_of(asof)
        planned = day_of(o.planned_close[rec])
        slipped = asof_day + 14 + (rec * 7 + asof_day) % 31
        expected = np.where(
            closed, day_of(closed_at), np.where(asof_day > planned, slipped, planned)
        )
        account = np.where(o.blank_account[rec] & (code == 0), -1, o.account_ref[rec])
        return {
            "opportunity_id": keys("opportunities", rec),
            "opportunity_name": o.name.take(pa.array(rec)),
            "account_id": keys("accounts", account),
            "owner_rep_id": keys("reps", o.owner[rec]),
            "partner_id": keys("partners", o.partner[rec]),
            "campaign_id": keys("campaigns", o.campaign[rec]),
            "lead_id": keys("leads", o.lead[rec]),
            "product_id": keys("products", o.product[rec]),
            "opportunity_type": pick(OPP_TYPES, o.type[rec]),
            "stage_name": stage_text(sim, rec, code),
            "amount": revisions.amount_at(rec, col, asof, o.amount[rec, col]),
            "currency_code": pick(vocab.CURRENCIES, o.cur[rec]),
            "created_at": o.created[rec],
            "expected_close_date": expected,
            "closed_at": closed_at,
            "win_reason": pick(
                [r for r, _ in vocab.WIN_REASONS], np.where(code == 5, o.win_reason[rec], -1)
            ),
            "loss_reason": pick(
                [r for r, _ in vocab.LOSS_REASONS], np.where(code == 6, o.loss_reason[rec], -1)
            ),
            "forecast_category": forecast_category(rec, code),
        }

    changes = [o.entry[:, k] for k in range(8)]
    return revisions.add_to(table_model(sim, "opportunities", n, changes, build))


@builds("opportunity_stage_history")
def opportunity_stage_history_table(sim: Sim) -> TableModel:
    h, o, r = sim.hist, sim.opps, sim.reps

    def build(rec: np.ndarray, asof: np.ndarray) -> dict[str, Any]:
        opp = h.opp[rec]
        owner = o.owner[opp]
        changer = np.where(h.manager[rec], r.team[np.maximum(owner, 0)], owner)
        return {
            "stage_history_id": keys("opportunity_stage_history", rec),
            "opportunity_id": keys("opportunities", opp),
            "stage_name": stage_text(sim, opp, h.code[rec]),
            "amount": h.amount[rec],
            "changed_by_rep_id": keys("reps", changer),
            "entered_at": h.entered[rec],
        }

    return table_model(sim, "opportunity_stage_history", h.n, [h.entered], build)


@builds("quotes")
def quotes_table(sim: Sim) -> TableModel:
    q = sim.quotes

    def build(rec: np.ndarray, asof: np.ndarray) -> dict[str, Any]:
        sent = reached(q.sent[rec], asof)
        status = np.select(
            [
                reached(q.accepted[rec], asof),
                reached(q.rejected[rec], asof),
                reached(q.expired[rec], asof),
                sent,
            ],
            [2, 3, 4, 1],
            0,
        )
        return {
            "quote_id": keys("quotes", rec),
            "opportunity_id": keys("opportunities", q.opp[rec]),
            "account_id": keys("accounts", q.account[rec]),
            "status": pick(("draft", "sent", "accepted", "rejected", "expired"), status),
            "amount": q.amount[rec],
            "currency_code": pick(vocab.CURRENCIES, q.cur[rec]),
            "created_at": q.created[rec],
            "sent_at": at(q.sent[rec], asof),
            "accepted_at": at(q.accepted[rec], asof),
        }

    return table_model(
        sim, "quotes", q.n, [q.created, q.sent, q.accepted, q.rejected, q.expired], build
    )
