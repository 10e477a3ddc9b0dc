"""Sales, its customers and catalogue: products (6 families x 5 tiers, price
rises on 2024-01-02 and 2025-01-02), partners (join over time, some move
tier), accounts (migrated prospects and customers in the first days of 2023,
new ones over the window, and those created by lead conversions) and their
contacts. The deals are in crm_warehouse.demo.sim.deals."""

from __future__ import annotations

from types import SimpleNamespace as NS
from typing import Any

import numpy as np
import pyarrow as pa

from crm_warehouse.demo import config, text, vocab
from crm_warehouse.demo.sim.people import company_names, email_case, invalid_emails, phones
from crm_warehouse.demo.sim.records import (
    Grouped,
    TableModel,
    concat_ns,
    day_number,
    i64,
    in_window,
    money_round,
    nz,
    pick_existing,
    reached,
)
from crm_warehouse.demo.sim.registry import builds, table_model
from crm_warehouse.demo.sim.world import Sim
from crm_warehouse.demo.text import concat, keys, pick, weighted, where
from crm_warehouse.demo.timeline import (
    DAY,
    HOUR,
    MINUTE,
    NA,
    T0,
    T1,
    arrival_times,
    day_of,
    uniform_between,
)


def simulate_products(sim: Sim) -> None:
    """Products: 6 families x 5 tiers, list prices, price rises and unit costs."""
    rng = sim.rng(2)
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
    ratio = np.array([f[2] for f in vocab.PRODUCT_FAMILIES])[p.family] * rng.uniform(0.9, 1.1, p.n)
    p.cost = np.round(p.price0 * ratio).astype(i64)
    p.created = T0 + DAY + 7 * HOUR + 30 * MINUTE + np.arange(p.n) * MINUTE
    p.name = pa.array(
        [
            f"{vocab.PRODUCT_FAMILIES[f][0]} {vocab.PRODUCT_TIERS[k]}"
            for f, k in zip(p.family, p.tier, strict=True)
        ]
    )
    sim.products = p


def simulate_partners(sim: Sim) -> None:
    """Channel partners: tier, type, region, partner manager; some move up a tier."""
    rng = sim.rng(3)
    n = sim.count("partners")
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
        rng.integers(day_number(2015, 1, 1), day_number(2022, 12, 31), n),
        day_of(arrival_times(rng, n, T0, T1 - 120 * DAY)),
    )
    p.created = np.where(
        before,
        T0 + DAY + 8 * HOUR + 30 * MINUTE + rng.integers(0, HOUR, n),
        p.joined_day * DAY + 10 * HOUR,
    )
    p.joined = p.joined_day * DAY
    p.manager = sim.pick_rep(rng, sim.pool_pm, None, np.maximum(p.created, T0 + DAY))
    move = rng.random(n) < 0.2
    p.tier_change = in_window(
        np.where(move, uniform_between(rng, p.created + 60 * DAY, np.full(n, T1 - DAY)), NA)
    )
    p.tier2 = np.maximum(p.tier - 1, 0)  # a move up (0 = platinum)
    sim.partners = p


def _account_attrs(
    sim: Sim, rng: np.random.Generator, created: np.ndarray, names: pa.Array | None
) -> NS:
    """Accounts created at `created`: country, region, industry, size, currency, owner, partner."""
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
    a.owner = sim.pick_rep(rng, sim.pool_ae, a.region, created)
    p = sim.partners
    has_partner = rng.random(n) < 0.12
    a.partner = np.where(has_partner, pick_existing(rng, p.created, created), -1)
    if names is None:
        names = company_names(rng, n)
    a.name = names
    return a


def simulate_base_accounts(sim: Sim) -> None:
    """Accounts not created by a lead conversion: migrated ones and new ones over the window."""
    rng = sim.rng(5)
    n = round(sim.count("accounts") * 0.5)
    migrated = rng.random(n) < 0.3
    created = np.where(
        migrated,
        T0 + DAY + 8 * HOUR + rng.integers(0, 10 * DAY, n),
        arrival_times(rng, n, T0 + 14 * DAY, T1 - DAY),
    )
    a = _account_attrs(sim, rng, created, None)
    a.migrated = migrated
    sim.base_accounts = a


def simulate_conversions(sim: Sim) -> None:
    """Converted leads: their (new or matched) accounts, contacts and which get an opportunity."""
    rng = sim.rng(7)
    L, ba = sim.leads, sim.base_accounts
    conv = np.flatnonzero(nz(L.converted))
    t = L.converted[conv]
    existing = L.account_link[conv]
    new = existing < 0
    new_idx = conv[new]
    na = _account_attrs(sim, rng, L.converted[new_idx], L.company.take(pa.array(new_idx)))
    na.region = L.region[new_idx]
    na.owner = sim.pick_rep(rng, sim.pool_ae, na.region, na.created)
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
    sim.accounts = accounts
    # contacts from conversions (index = position among converted leads)
    sim.conv_contacts = NS(lead=conv, account=acc_of_conv, created=t)
    L.conv_contact[conv] = np.arange(len(conv))
    # opportunities from conversions
    with_opp = rng.random(len(conv)) < 0.92
    sim.conv_opp_leads = conv[with_opp]


def simulate_contacts(sim: Sim) -> None:
    """Contacts (from conversions and typed by reps) and later edits of accounts."""
    rng = sim.rng(8)
    a, L = sim.accounts, sim.leads
    cc = sim.conv_contacts
    n_extra = max(sim.count("contacts") - len(cc.lead), a.n)
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
    email = email_case(rng, invalid_emails(rng, concat(local, "@", domain), local, domain))
    email = where(rng.random(m) < 0.05, pa.nulls(m, pa.string()), email)
    phone = phones(rng, region)
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
    sim.contacts = C
    sim.contacts_by_account = Grouped(C.account, a.n, C.created)
    # account edits: owner reassignment when the owner leaves, employee count updates
    rng2 = sim.rng(18)
    r = sim.reps
    left = r.left_end[a.owner]
    reassign = (left < T1 - 2 * DAY) & (left > a.created)
    a.reassign_at = in_window(np.where(reassign, left + rng2.integers(1, 15, a.n) * DAY, NA))
    a.owner2 = sim.pick_rep(
        rng2, sim.pool_ae, a.region, np.where(nz(a.reassign_at), a.reassign_at, a.created)
    )
    touch = rng2.random(a.n) < config.TOUCH_RATES["accounts"]
    a.touch = in_window(
        np.where(touch, uniform_between(rng2, a.created + 30 * DAY, np.full(a.n, T1 - HOUR)), NA)
    )
    a.employees2 = np.maximum(2, np.round(a.employees * rng2.uniform(0.8, 1.5, a.n))).astype(i64)
    a.name_text = text.messy(rng2, a.name)
    a.industry_text = text.messy(rng2, pick([x[0] for x in vocab.INDUSTRIES], a.industry))


@builds("products")
def products_table(sim: Sim) -> TableModel:
    p = sim.products

    def build(rec: np.ndarray, asof: np.ndarray) -> dict[str, Any]:
        return {
            "product_id": keys("products", rec),
            "product_name": p.name.take(pa.array(rec)),
            "product_family": pick([f[0] for f in vocab.PRODUCT_FAMILIES], p.family[rec]),
            "tier": p.tier[rec] + 1,
            "list_price": sim.price_at(rec, asof),
            "unit_cost": p.cost[rec],
            "currency_code": pick(("USD",), np.zeros(len(rec), dtype=i64)),
        }

    return table_model(sim, "products", p.n, [p.created, p.change1, p.change2], build)


@builds("partners")
def partners_table(sim: Sim) -> TableModel:
    p = sim.partners
    regions = [row[0] for row in vocab.REGIONS]

    def build(rec: np.ndarray, asof: np.ndarray) -> dict[str, Any]:
        tier = np.where(reached(p.tier_change[rec], asof), p.tier2[rec], p.tier[rec])
        return {
            "partner_id": keys("partners", rec),
            "partner_name": p.name.take(pa.array(rec)),
            "partner_tier": pick(("platinum", "gold", "silver", "registered"), tier),
            "partner_type": pick(("reseller", "referral", "alliance", "marketplace"), p.type[rec]),
            "region": pick(regions, p.region[rec]),
            "partner_manager_rep_id": keys("reps", p.manager[rec]),
            "joined_date": p.joined_day[rec],
        }

    return table_model(sim, "partners", p.n, [p.created, p.tier_change], build)


@builds("accounts")
def accounts_table(sim: Sim) -> TableModel:
    a = sim.accounts
    regions = [s for row in vocab.REGIONS for s in (list(row) + [row[0]] * (3 - len(row)))]

    def build(rec: np.ndarray, asof: np.ndarray) -> dict[str, Any]:
        ix = pa.array(rec)
        return {
            "account_id": keys("accounts", rec),
            "account_name": a.name_text.take(ix),
            "industry": a.industry_text.take(ix),
            "country": pick(a.country_flat, a.country_text_idx[rec]),
            "region": pick(regions, a.region_text_idx[rec]),
            "employee_count": np.where(
                reached(a.touch[rec], asof), a.employees2[rec], a.employees[rec]
            ),
            "owner_rep_id": keys(
                "reps", np.where(reached(a.reassign_at[rec], asof), a.owner2[rec], a.owner[rec])
            ),
            "partner_id": keys("partners", a.partner[rec]),
            "created_at": a.created[rec],
        }

    return table_model(sim, "accounts", a.n, [a.created, a.reassign_at, a.touch], build)


@builds("contacts")
def contacts_table(sim: Sim) -> TableModel:
    c = sim.contacts

    def build(rec: np.ndarray, asof: np.ndarray) -> dict[str, Any]:
        ix = pa.array(rec)
        title = np.where(reached(c.touch[rec], asof), c.title2[rec], c.title[rec])
        return {
            "contact_id": keys("contacts", rec),
            "account_id": keys("accounts", c.account[rec]),
            "first_name": c.first_text.take(ix),
            "last_name": c.last_text.take(ix),
            "email": c.email.take(ix),
            "phone": c.phone.take(ix),
            "title": pick(vocab.TITLES, title),
            "created_at": c.created[rec],
        }

    return table_model(sim, "contacts", c.n, [c.created, c.touch], build)
