"""Service and activity: support cases (SLA from seeds/case_priorities.csv,
re-opens, satisfaction surveys) and activities (sales calls, emails,
meetings, tasks; inbound service calls, follow-ups and abandoned calls)."""

from __future__ import annotations

from types import SimpleNamespace as NS
from typing import Any

import numpy as np

from crm_warehouse.demo import vocab
from crm_warehouse.demo.sim.records import (
    TableModel,
    at,
    concat_ns,
    i64,
    in_window,
    nz,
    pick_existing,
    reached,
    repeat_parents,
    take_ns,
)
from crm_warehouse.demo.sim.registry import builds, table_model
from crm_warehouse.demo.sim.world import Sim
from crm_warehouse.demo.text import keys, pick, weighted
from crm_warehouse.demo.timeline import (
    DAY,
    HOUR,
    MINUTE,
    NA,
    T0,
    T1,
    arrival_times,
    uniform_between,
)

#: Multiplies every activity rate (tuned so that scale 1 gives ~330k activities).
ACTIVITY_FACTOR = 1.17
SUBJECTS = (
    vocab.SALES_CALL_SUBJECTS
    + vocab.SALES_EMAIL_SUBJECTS
    + vocab.MEETING_SUBJECTS
    + vocab.TASK_SUBJECTS
    + ("Follow up",)
    + vocab.SERVICE_SUBJECTS
)
ACTIVITY_TYPES = ("call", "email", "meeting", "task")
OUTCOMES = ("connected", "no_answer", "voicemail", "abandoned", "completed", "cancelled")


def simulate_cases(sim: Sim) -> None:
    """Support cases: cancellation requests of churning customers and everyday cases, with SLAs."""
    rng = sim.rng(11)
    ct, a = sim.contracts, sim.accounts
    n = sim.count("support_cases")
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
    C.contact = sim.contacts_by_account.pick(rng, C.account, C.opened)
    C.owner = sim.pick_rep(rng, sim.pool_agent, a.region[C.account], C.opened)
    fr_h, res_h = sim.sla[prio, 0] * HOUR, sim.sla[prio, 1] * HOUR
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
    sim.cases = C


def simulate_activities(sim: Sim) -> None:
    """Sales calls, emails, meetings and tasks; inbound service calls and follow-ups."""
    rng = sim.rng(12)
    parts = _sales_activities(sim, rng) + _service_activities(sim, rng)
    A = concat_ns(parts)
    keep = A.created < T1
    A = take_ns(A, np.flatnonzero(keep))
    A.n = len(A.created)
    sim.activities = A


def _sales_activities(sim: Sim, rng: np.random.Generator) -> list[NS]:
    """Prospecting on worked leads, work on deals, account managers with customers."""
    L, o, ct = sim.leads, sim.opps, sim.contracts
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
        rep = sim.keep_active(rng, L.owner[li], sim.pool_sdr, L.region[li], t)
        parts.append(_act(rng, kind, 0, t, rep=rep, lead=li))
    # B. deals: calls, emails, meetings, tasks between creation and close
    oend = np.where(nz(o.final_close), o.final_close, T1 - 1)
    for kind, lam in ((0, 2.6), (1, 2.6), (2, 1.3), (3, 0.7)):
        lam_v = np.full(o.n, lam * f) * np.where(o.type == 2, 0.5, 1.0)
        par = repeat_parents(rng, lam_v)
        t = uniform_between(rng, o.created[par], oend[par])
        acc = o.account[par]
        rep = sim.keep_active(rng, o.owner[par], sim.pool_ae, sim.accounts.region[acc], t)
        contact = sim.contacts_by_account.pick(rng, acc, t)
        parts.append(_act(rng, kind, 0, t, rep=rep, account=acc, contact=contact, opp=par))
    # C. account managers with customers
    for kind, lam in ((0, 3.0), (2, 0.8)):
        par = repeat_parents(rng, np.full(ct.n, lam * f))
        lo = np.maximum(ct.start_day[par] * DAY, T0 + DAY)
        hi = np.minimum(ct.end_ts[par], T1 - 1)
        t = uniform_between(rng, lo, hi)
        ok = hi > lo
        par, t = par[ok], t[ok]
        acc = ct.account[par]
        rep = sim.pick_rep(rng, sim.pool_am, None, t)
        contact = sim.contacts_by_account.pick(rng, acc, t)
        parts.append(_act(rng, kind, 0, t, rep=rep, account=acc, contact=contact))
    return parts


def _service_activities(sim: Sim, rng: np.random.Generator) -> list[NS]:
    """Inbound calls opening phone cases, follow-ups, emails and abandoned calls."""
    ct, C = sim.contracts, sim.cases
    f = ACTIVITY_FACTOR
    parts = []
    # D. service: inbound calls opening phone cases, follow-ups, emails
    phone = np.flatnonzero(C.channel == 0)
    parts.append(
        _act(
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
            _act(
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
    contact = sim.contacts_by_account.pick(rng, acc, t)
    parts.append(_act(rng, 5, 1, t, account=acc, contact=contact))
    return parts


def _act(
    rng: np.random.Generator, kind: int, purpose: int, t: np.ndarray, **refs: np.ndarray
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
                + np.where(kind == 2, rng.integers(30, 61, n) * MINUTE, -rng.integers(0, DAY, n)),
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
        a.queue = np.where(rng.random(n) < 0.15, 0, rng.lognormal(np.log(90), 0.9, n)).astype(i64)
        a.done = t + a.queue
        a.created = a.done
        a.subject = np.full(n, 20, dtype=i64)
    if kind in (0, 1) and purpose == 1:
        a.subject = 21 + rng.integers(0, 3, n)
    return a


@builds("activities")
def activities_table(sim: Sim) -> TableModel:
    A = sim.activities

    def build(rec: np.ndarray, asof: np.ndarray) -> dict[str, Any]:
        oc = A.outcome[rec]
        shown = np.where(
            oc == 5, reached(A.cancel_at[rec], asof), (oc >= 0) & reached(A.done[rec], asof)
        )
        return {
            "activity_id": keys("activities", rec),
            "activity_type": pick(ACTIVITY_TYPES, A.type[rec]),
            "purpose": pick(("sales", "service"), A.purpose[rec]),
            "direction": pick(("inbound", "outbound"), A.direction[rec]),
            "outcome": pick(OUTCOMES, np.where(shown, oc, -1)),
            "rep_id": keys("reps", A.rep[rec]),
            "account_id": keys("accounts", A.account[rec]),
            "contact_id": keys("contacts", A.contact[rec]),
            "lead_id": keys("leads", A.lead[rec]),
            "opportunity_id": keys("opportunities", A.opp[rec]),
            "case_id": keys("support_cases", A.case[rec]),
            "subject": pick(SUBJECTS, A.subject[rec]),
            "queue_wait_seconds": A.queue[rec],
            "talk_seconds": A.talk[rec],
            "hold_seconds": A.hold[rec],
            "wrap_seconds": A.wrap[rec],
            "scheduled_at": A.scheduled[rec],
            "completed_at": np.where(oc == 5, NA, at(A.done[rec], asof)),
            "created_at": A.created[rec],
        }

    done = np.where(A.outcome >= 0, A.done, NA)
    return table_model(sim, "activities", A.n, [A.created, done, A.cancel_at], build)


@builds("support_cases")
def support_cases_table(sim: Sim) -> TableModel:
    C = sim.cases
    prio_flat = [s for row in vocab.PRIORITY_SPELLINGS for s in row]

    def build(rec: np.ndarray, asof: np.ndarray) -> dict[str, Any]:
        closed = reached(C.closed[rec], asof)
        res2 = reached(C.resolved2[rec], asof)
        reop = reached(C.reopened[rec], asof)
        res1 = reached(C.resolved1[rec], asof)
        resolved = res2 | (res1 & ~reop)
        pending = reached(C.pending[rec], asof)
        responded = reached(C.first_response[rec], asof)
        status = np.select([closed, resolved, reop, pending, responded], [4, 3, 1, 2, 1], 0)
        resolved_at = np.where(
            closed | resolved, np.where(res2, C.resolved2[rec], C.resolved1[rec]), NA
        )
        return {
            "case_id": keys("support_cases", rec),
            "account_id": keys("accounts", C.account[rec]),
            "contact_id": keys("contacts", C.contact[rec]),
            "owner_rep_id": keys("reps", C.owner[rec]),
            "case_type": pick(vocab.CASE_TYPES, C.type[rec]),
            "priority": pick(prio_flat, C.channel[rec] * 4 + C.prio[rec]),
            "channel": pick(vocab.CASE_CHANNELS, C.channel[rec]),
            "status": pick(("new", "open", "pending", "resolved", "closed"), status),
            "opened_at": C.opened[rec],
            "first_response_at": at(C.first_response[rec], asof),
            "resolved_at": resolved_at,
            "closed_at": at(C.closed[rec], asof),
            "reopened_count": reop.astype(i64),
            "satisfaction_score": np.where(reached(C.survey[rec], asof), C.score[rec], NA),
        }

    changes = [
        C.opened,
        C.first_response,
        C.pending,
        C.resolved1,
        C.reopened,
        C.resolved2,
        C.closed,
        C.survey,
    ]
    return table_model(sim, "support_cases", C.n, changes, build)
