"""Finance: order lines, orders (shipped, delivered late, cancelled,
refunded) and 12-month subscription contracts of won deals, service re-orders
of existing customers, invoices (annual or quarterly instalments, services,
credit notes) and payments (on time, late, in two parts, in another currency,
unpaid)."""

from __future__ import annotations

from types import SimpleNamespace as NS
from typing import Any

import numpy as np

from crm_warehouse.demo import config, vocab
from crm_warehouse.demo.sim.records import (
    BIG,
    TableModel,
    at,
    concat_ns,
    i64,
    in_window,
    nz,
    reached,
    take_ns,
)
from crm_warehouse.demo.sim.registry import builds, table_model
from crm_warehouse.demo.sim.world import Sim
from crm_warehouse.demo.text import keys, pick, weighted
from crm_warehouse.demo.timeline import DAY, HOUR, NA, T0, T1, add_months, day_of


def order_lines_of_won(sim: Sim, rng: np.random.Generator, o: NS, won: np.ndarray) -> NS:
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
        parts.append(NS(opp=won[sel], product=prod[sel], qty=qty[sel], disc=disc[sel], t=t[sel]))
    svc = (o.type[won] != 2) & (rng.random(n) < 0.45)
    parts.append(NS(
        opp=won[svc], product=(25 + rng.integers(0, 3, n))[svc], qty=rng.integers(1, 21, n)[svc], disc=disc[svc], t=t[svc],
    ))  # fmt: skip
    ln = concat_ns(parts)
    order = np.argsort(ln.opp, kind="stable")
    ln = take_ns(ln, order)
    usd = np.round(sim.price_at(ln.product, ln.t) * (1 - ln.disc)).astype(i64)
    ln.price = sim.to_local(usd, o.cur[ln.opp], ln.t)
    return ln


def new_orders(
    rng: np.random.Generator, account: np.ndarray, cur: np.ndarray, ordered: np.ndarray
) -> NS:
    """Orders placed at `ordered`: promised, shipped, delivered (some late), cancelled, refunded."""
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


def add_reorders(sim: Sim, rng: np.random.Generator) -> None:
    """Orders without an opportunity: services bought by existing customers."""
    od = sim.orders
    won_orders = np.flatnonzero(nz(od.delivered))
    k = round(len(od.ordered) * 0.07)
    if len(won_orders) == 0 or k == 0:
        return
    base = won_orders[rng.integers(0, len(won_orders), k)]
    ordered = od.delivered[base] + rng.integers(30, 400, k) * DAY + rng.integers(0, 8 * HOUR, k)
    ok = ordered < T1 - HOUR
    base, ordered = base[ok], ordered[ok]
    ro = new_orders(rng, od.account[base], od.cur[base], ordered)
    m = len(base)
    ro.opp = np.full(m, -1, dtype=i64)
    ro.quote = np.full(m, -1, dtype=i64)
    first = len(od.ordered)
    prod = 25 + rng.integers(0, 3, m)
    qty = rng.integers(1, 11, m)
    usd = np.round(sim.price_at(prod, ordered) * (1 - rng.uniform(0, 0.1, m))).astype(i64)
    price = sim.to_local(usd, ro.cur, ordered)
    ro.sub_total = np.zeros(m, dtype=i64)
    ro.svc_total = qty * price
    sim.orders = concat_ns([od, ro])
    ln = NS(
        opp=np.full(m, -1, dtype=i64),
        product=prod,
        qty=qty,
        disc=np.zeros(m),
        t=ordered,
        price=price,
        order=first + np.arange(m),
    )
    sim.lines = concat_ns([sim.lines, ln])


def round_orders(
    sim: Sim,
    rng: np.random.Generator,
    s: NS,
    o: NS,
    ln: NS,
    accepted: np.ndarray,
    offs: dict[str, int],
) -> tuple[NS, NS, np.ndarray]:
    """Orders of a deal round's won deals (closed in time to be ordered in the
    window), their lines and the deals they belong to. Expansions are billed
    once with the order (co-terminous add-ons), not by a contract."""
    n = len(s.created)
    won_idx = np.flatnonzero(o.outcome == 1)
    ordered = o.final_close[won_idx] + rng.integers(HOUR, 3 * DAY, len(won_idx))
    ok = ordered < T1 - HOUR
    won_idx, ordered = won_idx[ok], ordered[ok]
    order_of_opp = np.full(n, -1, dtype=i64)
    order_of_opp[won_idx] = np.arange(len(won_idx))
    keep_line = order_of_opp[ln.opp] >= 0
    ln = take_ns(ln, np.flatnonzero(keep_line))
    ln.order = order_of_opp[ln.opp] + offs["order"]
    od = new_orders(rng, account=s.account[won_idx], cur=s.cur[won_idx], ordered=ordered)
    od.opp = won_idx + offs["opp"]
    od.quote = np.where(accepted[won_idx] >= 0, accepted[won_idx] + offs["quote"], -1)
    sub = sim.products.subscription[ln.product]
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
    expansion = s.type[won_idx] == 1
    od.svc_total = np.where(expansion, od.svc_total + od.sub_total, od.svc_total)
    od.sub_total = np.where(expansion, 0, od.sub_total)
    return od, ln, won_idx


def round_contracts(
    sim: Sim,
    rng: np.random.Generator,
    s: NS,
    o: NS,
    od: NS,
    won_idx: np.ndarray,
    offs: dict[str, int],
) -> NS:
    """12-month contracts of a round's orders with subscriptions, not cancelled;
    a renewal starts when the contract it renews ends (some renew early)."""
    has = (od.sub_total > 0) & (od.cancelled == NA)
    ci = np.flatnonzero(has)
    m = len(ci)
    oi = won_idx[ci]
    early = (s.type[oi] == 2) & (rng.random(m) < 0.15)
    prev = s.prev_contract[oi]
    prev_end = np.where(prev >= 0, sim.contracts.end_day[np.maximum(prev, 0)], NA)
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
    return ct


def amend_contracts(sim: Sim) -> None:
    """Mid-term upgrades and downgrades (config.CONTRACT_UPGRADE_RATE,
    CONTRACT_DOWNGRADE_RATE) of contracts signed in the CRM and not cancelled:
    an amendment contract (renewal_of_contract_id = the contract, no order)
    starts 3-8 months into the term, on the day of month of its start, and
    runs to the same end date at the new monthly value for the months left.
    The contract's later renewal renews the amendment instead. Amendments are
    not invoiced (the original's instalments carry on: no proration billed).
    Its own random stream, so the rest of the story is unchanged."""
    rng = sim.rng(21)
    ct = sim.contracts
    n = len(ct.account)
    ct.amendment = np.zeros(n, dtype=bool)
    u = rng.random(n)
    up = u < config.CONTRACT_UPGRADE_RATE
    down = (u >= config.CONTRACT_UPGRADE_RATE) & (
        u < config.CONTRACT_UPGRADE_RATE + config.CONTRACT_DOWNGRADE_RATE
    )
    months = rng.integers(3, 9, n)
    start = add_months(ct.start_day, months)
    ok = (
        (up | down)
        & (ct.cancel == NA)
        & (start * DAY > T0 + DAY)
        & (start < T1 // DAY - 1)
        & (start < ct.end_day)
    )
    renewal_start = np.full(n, BIG, dtype=i64)  # not amended after its renewal started
    has_prev = ct.prev >= 0
    np.minimum.at(renewal_start, ct.prev[has_prev], ct.start_day[has_prev])
    ok &= start < renewal_start
    idx = np.flatnonzero(ok)
    m = len(idx)
    factor = np.where(up[idx], rng.uniform(1.2, 1.6, m), rng.uniform(0.5, 0.85, m))
    value = np.round(ct.value[idx] * factor * (12 - months[idx]) / 12).astype(i64)
    # signed 1-10 days before the start, drafted 1-5 days before that, inside the window
    signed = np.maximum((start[idx] - rng.integers(1, 11, m)) * DAY + 10 * HOUR, T0 + 6 * DAY)
    am = NS(
        account=ct.account[idx], order=np.full(m, -1, dtype=i64), prev=idx, cur=ct.cur[idx], start_day=start[idx],
        end_day=ct.end_day[idx], value=value, service_value=np.zeros(m, dtype=i64), signed=signed,
        draft=np.maximum(signed - rng.integers(1, 6, m) * DAY, T0 + HOUR), cancel=np.full(m, NA), product=ct.product[idx],
        seats=np.maximum(1, np.round(ct.seats[idx] * factor)).astype(i64), billing=ct.billing[idx],
        owner=ct.owner[idx], amendment=np.ones(m, dtype=bool),
    )  # fmt: skip
    # the renewal of an amended contract renews its amendment
    amended_by = np.full(n, -1, dtype=i64)
    amended_by[idx] = n + np.arange(m)
    later = (ct.prev >= 0) & (amended_by[np.maximum(ct.prev, 0)] >= 0)
    ct.prev = np.where(later, amended_by[np.maximum(ct.prev, 0)], ct.prev)
    sim.contracts = concat_ns([ct, am])


def simulate_invoices(sim: Sim) -> None:
    """Invoices (contract instalments, delivered services, credit notes) and their payments."""
    rng = sim.rng(10)
    ct, od = sim.contracts, sim.orders
    parts = _instalments(ct)
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
    sim.invoices = inv
    sim.payments = _payments(sim, rng, inv)


def _instalments(ct: NS) -> list[NS]:
    """Contract instalments: annual (billing 0) or quarterly (billing 1)."""
    parts = []
    for k in range(4):
        sel = np.flatnonzero(((ct.billing == 1) | (k == 0)) & ~ct.amendment)
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
    return parts


def _payments(sim: Sim, rng: np.random.Generator, inv: NS) -> NS:
    """Payments of invoices: on time, late, in two parts, in another currency, or none."""
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
    usd = P.amount * sim.fx.usd_per_unit(P.cur, P.created, vocab.CURRENCIES)
    conv = np.round(usd / sim.fx.usd_per_unit(new_cur, P.created, vocab.CURRENCIES)).astype(i64)
    P.amount = np.where(other, conv, P.amount)
    P.cur = np.where(other, new_cur, P.cur)
    P.method = weighted(rng, (50, 20, 25, 5), k)
    return P


@builds("orders")
def orders_table(sim: Sim) -> TableModel:
    od = sim.orders

    def build(rec: np.ndarray, asof: np.ndarray) -> dict[str, Any]:
        delivered = reached(od.delivered[rec], asof)
        status = np.select(
            [
                reached(od.refunded[rec], asof),
                reached(od.cancelled[rec], asof),
                delivered,
                reached(od.shipped[rec], asof),
            ],
            [4, 3, 2, 1],
            0,
        )
        return {
            "order_id": keys("orders", rec),
            "account_id": keys("accounts", od.account[rec]),
            "opportunity_id": keys("opportunities", od.opp[rec]),
            "quote_id": keys("quotes", od.quote[rec]),
            "status": pick(("placed", "shipped", "delivered", "cancelled", "refunded"), status),
            "currency_code": pick(vocab.CURRENCIES, od.cur[rec]),
            "ordered_at": od.ordered[rec],
            "promised_date": od.promised_day[rec],
            "delivered_date": np.where(delivered, od.delivered_day[rec], NA),
        }

    changes = [od.ordered, od.shipped, od.delivered, od.cancelled, od.refunded]
    return table_model(sim, "orders", od.n, changes, build)


@builds("order_lines")
def order_lines_table(sim: Sim) -> TableModel:
    ln, od = sim.lines, sim.orders

    def build(rec: np.ndarray, asof: np.ndarray) -> dict[str, Any]:
        return {
            "order_line_id": keys("order_lines", rec),
            "order_id": keys("orders", ln.order[rec]),
            "product_id": keys("products", ln.product[rec]),
            "quantity": ln.qty[rec],
            "unit_price": ln.price[rec],
        }

    return table_model(sim, "order_lines", ln.n, [od.ordered[ln.order] + 60], build)


@builds("contracts")
def contracts_table(sim: Sim) -> TableModel:
    ct = sim.contracts

    def build(rec: np.ndarray, asof: np.ndarray) -> dict[str, Any]:
        signed = reached(ct.signed[rec], asof) | (ct.signed[rec] == NA)
        status = np.select(
            [reached(ct.cancel[rec], asof), reached(ct.expire[rec], asof), signed], [3, 2, 1], 0
        )
        return {
            "contract_id": keys("contracts", rec),
            "account_id": keys("accounts", ct.account[rec]),
            "order_id": keys("orders", ct.order[rec]),
            "renewal_of_contract_id": keys("contracts", ct.prev[rec]),
            "status": pick(("draft", "active", "expired", "cancelled"), status),
            "contract_value": ct.value[rec],
            "currency_code": pick(vocab.CURRENCIES, ct.cur[rec]),
            "start_date": ct.start_day[rec],
            "end_date": ct.end_day[rec],
            "signed_at": at(ct.signed[rec], asof),
        }

    return table_model(sim, "contracts", ct.n, [ct.draft, ct.signed, ct.expire, ct.cancel], build)


@builds("invoices")
def invoices_table(sim: Sim) -> TableModel:
    inv = sim.invoices

    def build(rec: np.ndarray, asof: np.ndarray) -> dict[str, Any]:
        return {
            "invoice_id": keys("invoices", rec),
            "account_id": keys("accounts", inv.account[rec]),
            "order_id": keys("orders", inv.order[rec]),
            "contract_id": keys("contracts", inv.contract[rec]),
            "invoice_type": pick(("invoice", "credit_note"), inv.credit[rec].astype(i64)),
            "invoice_date": inv.day[rec],
            "due_date": inv.due_day[rec],
            "amount": inv.amount[rec],
            "currency_code": pick(vocab.CURRENCIES, inv.cur[rec]),
        }

    return table_model(sim, "invoices", inv.n, [inv.created], build)


@builds("payments")
def payments_table(sim: Sim) -> TableModel:
    P = sim.payments

    def build(rec: np.ndarray, asof: np.ndarray) -> dict[str, Any]:
        return {
            "payment_id": keys("payments", rec),
            "invoice_id": keys("invoices", P.invoice_ref[rec]),
            "account_id": keys("accounts", P.account[rec]),
            "paid_date": P.day[rec],
            "amount": P.amount[rec],
            "currency_code": pick(vocab.CURRENCIES, P.cur[rec]),
            "payment_method": pick(
                ("bank_transfer", "card", "direct_debit", "check"), P.method[rec]
            ),
        }

    return table_model(sim, "payments", P.n, [P.created], build)
