"""Marketing: campaigns (channel, cost, start / end), leads from campaigns and
organic sources (web forms with duplicate submissions; the funnel new ->
working -> qualified -> converted or unqualified), web sessions, email list
events and campaign members."""

from __future__ import annotations

from types import SimpleNamespace as NS
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from crm_warehouse.demo import config, text, vocab
from crm_warehouse.demo.sim.people import company_names, email_case, invalid_emails, phones
from crm_warehouse.demo.sim.records import (
    TableModel,
    at,
    concat_ns,
    i64,
    in_window,
    money_round,
    nz,
    pick_existing,
    reached,
    take_ns,
)
from crm_warehouse.demo.sim.registry import builds, table_model
from crm_warehouse.demo.sim.world import Sim
from crm_warehouse.demo.text import concat, keys, pick, weighted, where
from crm_warehouse.demo.timeline import DAY, HOUR, MINUTE, NA, T0, T1, after, arrival_times, day_of

PAGES = tuple(p for p, _ in vocab.LANDING_PAGES) + tuple(p for _, p in vocab.FORMS)


def simulate_campaigns(sim: Sim) -> None:
    """Campaigns: channel (messy spellings), start and end, budget and actual cost."""
    rng = sim.rng(4)
    n = sim.count("campaigns")
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
    c.budget = sim.to_local(money_round(budget_usd, 10), c.cur, c.start)
    c.budget = np.where(budget_usd == 0, 0, c.budget)
    c.actual = np.round(c.budget * rng.uniform(0.8, 1.1, n)).astype(i64)
    c.weight_members = np.array([x[6] for x in ch])[c.channel]
    spelled = pick([x[0] for x in ch], c.channel)
    c.channel_text = text.messy(rng, spelled)
    year = (c.start.astype("datetime64[s]").astype("datetime64[Y]").astype(i64) + 1970).astype(str)
    q = (
        (c.start.astype("datetime64[s]").astype("datetime64[M]").astype(i64) % 12) // 3 + 1
    ).astype(str)
    theme = pick(vocab.CAMPAIGN_THEMES, rng.integers(0, len(vocab.CAMPAIGN_THEMES), n))
    c.name = concat(pa.array(year), " Q", pa.array(q), " ", spelled, " - ", theme)
    sim.campaigns = c


#: Channel group of each lead source (vocab.LEAD_SOURCES order), for the
#: share of worked leads that qualify.
LEAD_SOURCE_GROUPS = (
    "web", "web", "web", "web", "web", "paid", "paid", "news", "web", "social", "social", "social",
    "paid", "paid", "out", "out", "out", "event", "event", "ref", "ref", "ref", "ref", "other",
)  # fmt: skip
QUALIFY_RATE_BY_GROUP = {
    "web": 0.28,
    "paid": 0.25,
    "news": 0.15,
    "social": 0.22,
    "out": 0.3,
    "event": 0.4,
    "ref": 0.5,
    "other": 0.2,
}


def simulate_leads(sim: Sim) -> None:
    """Leads: arrivals, people, duplicate submissions, typed values and the funnel."""
    rng = sim.rng(6)
    L = _lead_arrivals(sim, rng)
    _lead_people(sim, rng, L)
    L = _resubmissions(rng, L)
    m = len(L.created)
    L.n = m
    _lead_texts(sim, rng, L)
    _lead_funnel(rng, L)
    L.conv_account = np.full(m, -1, dtype=i64)
    L.conv_contact = np.full(m, -1, dtype=i64)
    L.conv_opp = np.full(m, -1, dtype=i64)
    sim.leads = L


def _lead_arrivals(sim: Sim, rng: np.random.Generator) -> NS:
    """Creation, campaign, lead source and web form of each lead."""
    n = sim.count("leads")
    c = sim.campaigns
    ls = vocab.LEAD_SOURCES
    src_names = [x[0] for x in ls]
    from_campaign = rng.random(n) < 0.3
    camp = np.where(from_campaign, weighted(rng, np.maximum(c.weight_members, 0.1) + 0.5, n), -1)
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
    L.form = np.where(is_web & (rng.random(m) < 0.85), weighted(rng, (30, 30, 20, 0, 20, 0), m), -1)
    src_name = np.array(src_names)[L.source]
    L.form = np.where(is_web & (src_name == "Webinar"), 3, L.form)
    L.form = np.where(is_web & (src_name == "Email Newsletter") & (rng.random(m) < 0.7), 5, L.form)
    L.submitted = np.where(L.form >= 0, L.created, NA)
    L.created = np.where(L.form >= 0, L.created + rng.integers(0, 90, m), L.created)
    return L


def _lead_people(sim: Sim, rng: np.random.Generator, L: NS) -> None:
    """The person and company behind each lead (some at existing accounts)."""
    m = len(L.created)
    L.first = rng.integers(0, len(vocab.FIRST_NAMES), m)
    L.last = rng.integers(0, len(vocab.LAST_NAMES), m)
    ba = sim.base_accounts
    L.account_link = np.where(rng.random(m) < 0.35, pick_existing(rng, ba.created, L.created), -1)
    own = company_names(rng, m)
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


def _resubmissions(rng: np.random.Generator, L: NS) -> NS:
    """Leads plus the duplicate submissions and near misses of form leads."""
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
    return concat_ns([L, extra])


def _lead_texts(sim: Sim, rng: np.random.Generator, L: NS) -> None:
    """Names, email, phone, company and lead source as typed; the owning SDR."""
    m = L.n
    src_names = [x[0] for x in vocab.LEAD_SOURCES]
    first = pick(vocab.FIRST_NAMES, L.first)
    last = pick(vocab.LAST_NAMES, L.last)
    local = text.email_local(first, last)
    domain = where(
        L.freemail,
        pick(vocab.FREEMAIL_DOMAINS, L.first % 3),
        concat(text.slug(L.company), ".example"),
    )
    email = concat(local, "@", domain)
    email = invalid_emails(rng, email, local, domain)
    email = email_case(rng, email)
    phone = phones(rng, L.region)
    base_ix = np.where(L.dup_of >= 0, L.dup_of, np.arange(m))
    # duplicates repeat the person's typed values (sometimes in another case)
    L.email = email.take(pa.array(base_ix))
    L.email = where((L.kind > 0) & (rng.random(m) < 0.3), pc.utf8_lower(L.email), L.email)
    L.phone = phone.take(pa.array(base_ix))
    L.first_text = text.messy(rng, first).take(pa.array(base_ix))
    L.last_text = text.messy(rng, last).take(pa.array(base_ix))
    L.company_text = text.messy(rng, L.company)
    src_text = text.messy(rng, pick(src_names, L.source))
    L.source_text = where(L.unmapped, pick(vocab.UNMAPPED_LEAD_SOURCES, L.unmapped_idx), src_text)
    L.owner = sim.pick_rep(rng, sim.pool_sdr, L.region, L.created)


def _lead_funnel(rng: np.random.Generator, L: NS) -> None:
    """new -> working -> qualified -> converted, or unqualified."""
    m = L.n
    dup_like = L.kind > 0
    work_p = np.where(dup_like, 0.3, 0.85)
    worked = rng.random(m) < work_p
    L.worked = np.where(worked, after(rng, L.created, 1.5 * DAY), NA)
    group = np.array(LEAD_SOURCE_GROUPS)
    qp = np.vectorize(QUALIFY_RATE_BY_GROUP.get)(group[L.source]).astype(float)
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
            L.created + rng.integers(np.where(dup_like, 1, 30), np.where(dup_like, 6, 121)) * DAY,
            NA,
        ),
    )
    converted = qualified & (rng.random(m) < 0.55)
    L.converted = np.where(
        converted, after(rng, np.where(qualified, L.qualified, L.created), 6 * DAY), NA
    )
    for k in ("worked", "qualified", "unqualified", "converted"):
        setattr(L, k, in_window(getattr(L, k)))


def simulate_web_sessions(sim: Sim) -> None:
    """Web sessions: form submissions, later visits of leads and anonymous traffic."""
    rng = sim.rng(13)
    L = sim.leads
    n_target = sim.count("web_sessions")
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
    sim.web = W


def simulate_email_events(sim: Sim) -> None:
    """Email list subscriptions (form opt-ins and anonymous), unsubscribes and re-subscribes."""
    rng = sim.rng(14)
    L = sim.leads
    target = sim.count("email_list_events")
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
    email = pa.concat_arrays([L.email.take(pa.array(opt)), email_case(rng, anon_email)])
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
    sim.email_events = E


def simulate_campaign_members(sim: Sim) -> None:
    """Campaign members: the leads campaigns generated and the leads or contacts they targeted."""
    rng = sim.rng(15)
    c, L, C = sim.campaigns, sim.leads, sim.contacts
    target = sim.count("campaign_members")
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
    m2 = NS(campaign=camp, lead=lead, contact=contact, added=added, sent=sent, responded=responded)
    m2 = take_ns(m2, np.flatnonzero(ok))
    M = concat_ns([m1, m2])
    keep = M.added < T1
    M = take_ns(M, np.flatnonzero(keep))
    M.sent = in_window(M.sent)
    M.responded = in_window(M.responded)
    M.n = len(M.added)
    sim.members = M


@builds("campaigns")
def campaigns_table(sim: Sim) -> TableModel:
    c = sim.campaigns

    def build(rec: np.ndarray, asof: np.ndarray) -> dict[str, Any]:
        ended = reached(c.end_ts[rec], asof)
        return {
            "campaign_id": keys("campaigns", rec),
            "campaign_name": c.name.take(pa.array(rec)),
            "channel": c.channel_text.take(pa.array(rec)),
            "cost_amount": np.where(ended, c.actual[rec], c.budget[rec]),
            "currency_code": pick(vocab.CURRENCIES, c.cur[rec]),
            "start_date": c.start_day[rec],
            "end_date": np.where(ended, c.end_day[rec], NA),
        }

    return table_model(sim, "campaigns", c.n, [c.created, c.end_ts], build)


@builds("campaign_members")
def campaign_members_table(sim: Sim) -> TableModel:
    m = sim.members

    def build(rec: np.ndarray, asof: np.ndarray) -> dict[str, Any]:
        return {
            "campaign_member_id": keys("campaign_members", rec),
            "campaign_id": keys("campaigns", m.campaign[rec]),
            "lead_id": keys("leads", m.lead[rec]),
            "contact_id": keys("contacts", m.contact[rec]),
            "added_at": m.added[rec],
            "sent_at": at(m.sent[rec], asof),
            "responded_at": at(m.responded[rec], asof),
        }

    return table_model(sim, "campaign_members", m.n, [m.added, m.sent, m.responded], build)


@builds("leads")
def leads_table(sim: Sim) -> TableModel:
    L = sim.leads
    forms = [f for f, _ in vocab.FORMS]

    def build(rec: np.ndarray, asof: np.ndarray) -> dict[str, Any]:
        ix = pa.array(rec)
        conv = reached(L.converted[rec], asof)
        qual = reached(L.qualified[rec], asof)
        unq = reached(L.unqualified[rec], asof)
        worked = reached(L.worked[rec], asof)
        status = np.select([conv, qual, unq, worked], [4, 2, 3, 1], 0)
        return {
            "lead_id": keys("leads", rec),
            "first_name": L.first_text.take(ix),
            "last_name": L.last_text.take(ix),
            "email": L.email.take(ix),
            "phone": L.phone.take(ix),
            "company_name": L.company_text.take(ix),
            "lead_source": L.source_text.take(ix),
            "form_id": pick(forms, L.form[rec]),
            "submitted_at": L.submitted[rec],
            "campaign_id": keys("campaigns", L.campaign[rec]),
            "owner_rep_id": keys("reps", L.owner[rec]),
            "status": pick(("new", "working", "qualified", "unqualified", "converted"), status),
            "created_at": L.created[rec],
            "qualified_at": at(L.qualified[rec], asof),
            "converted_at": at(L.converted[rec], asof),
            "converted_account_id": keys("accounts", np.where(conv, L.conv_account[rec], -1)),
            "converted_contact_id": keys("contacts", np.where(conv, L.conv_contact[rec], -1)),
            "converted_opportunity_id": keys("opportunities", np.where(conv, L.conv_opp[rec], -1)),
        }

    return table_model(
        sim, "leads", L.n, [L.created, L.worked, L.qualified, L.unqualified, L.converted], build
    )


@builds("web_sessions")
def web_sessions_table(sim: Sim) -> TableModel:
    w = sim.web

    def build(rec: np.ndarray, asof: np.ndarray) -> dict[str, Any]:
        page = np.where(
            w.page[rec] >= 100, len(vocab.LANDING_PAGES) + w.page[rec] - 100, w.page[rec]
        )
        return {
            "session_id": keys("web_sessions", rec),
            "visitor_id": concat("V-", text.num(w.visitor[rec] + 1, 8)),
            "lead_id": keys("leads", w.lead[rec]),
            "traffic_source": pick([s for s, _ in vocab.TRAFFIC_SOURCES], w.source[rec]),
            "landing_page": pick(PAGES, page),
            "started_at": w.started[rec],
            "duration_seconds": w.dur[rec],
            "page_views": w.pv[rec],
            "goal_completed": w.goal[rec],
        }

    return table_model(sim, "web_sessions", w.n, [w.started], build)


@builds("email_list_events")
def email_list_events_table(sim: Sim) -> TableModel:
    e = sim.email_events

    def build(rec: np.ndarray, asof: np.ndarray) -> dict[str, Any]:
        return {
            "event_id": keys("email_list_events", rec),
            "list_id": pick([s for s, _ in vocab.EMAIL_LISTS], e.list[rec]),
            "subscriber_email": e.email.take(pa.array(rec)),
            "event_type": pick(("subscribe", "unsubscribe"), e.type[rec]),
            "occurred_at": e.occurred[rec],
        }

    return table_model(sim, "email_list_events", e.n, [e.occurred], build)
