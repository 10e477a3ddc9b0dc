"""One `TableModel` per contract table: change instants per record and the
columns as of an instant.

Value conventions of `build` (render.py turns them into file values by the
contract's logical type): varchar -> pyarrow string array; timestamp -> int64
seconds UTC; date -> int64 days; decimal -> int64 cents; integer -> int64;
boolean -> numpy bool; NA (int64 min) is null. The version column
(`updated_at`) and the soft-delete column (`is_deleted`) are filled by the
renderer from the as-of instant and `TableModel.deleted_at`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa

from crm_warehouse.demo import text, vocab
from crm_warehouse.demo.model import NA, OPP_TYPES, TEAMS, TableModel, at, i64, last_change, reached
from crm_warehouse.demo.text import concat, keys, pick, where
from crm_warehouse.demo.timeline import day_of

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
PAGES = tuple(p for p, _ in vocab.LANDING_PAGES) + tuple(p for _, p in vocab.FORMS)


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


def stage_text(sim: Any, opp: np.ndarray, code: np.ndarray) -> pa.Array:
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


def _rng(sim: Any, table: str) -> np.random.Generator:
    return sim.rng(1000 + sorted(BUILDERS).index(table))


def _model(sim: Any, name: str, n: int, changes: list[np.ndarray], build: Any) -> TableModel:
    deleted = sim.deleted_at(_rng(sim, name), name, last_change(changes))
    return TableModel(name=name, n=n, changes=changes, build=build, deleted_at=deleted)


# ------------------------------------------------------------------ people
def teams(sim: Any) -> TableModel:
    n = len(TEAMS)
    created = np.array([sim.reps.created.min() - 3600 + i * 60 for i in range(n)], dtype=i64)

    def build(rec: np.ndarray, asof: np.ndarray) -> dict[str, Any]:
        return {
            "team_id": keys("teams", rec),
            "team_name": pick([t[0] for t in TEAMS], rec),
            "department": pick([t[1] for t in TEAMS], rec),
            "region": pick([t[3] for t in TEAMS], rec),
            "manager_rep_id": keys("reps", rec),
        }

    return _model(sim, "teams", n, [created], build)


def reps(sim: Any) -> TableModel:
    r = sim.reps
    roles = (
        "manager",
        "account_executive",
        "sdr",
        "partner_manager",
        "account_manager",
        "service_agent",
    )

    def build(rec: np.ndarray, asof: np.ndarray) -> dict[str, Any]:
        left = reached(r.left_change[rec], asof)
        return {
            "rep_id": keys("reps", rec),
            "rep_name": r.name.take(pa.array(rec)),
            "email": r.email.take(pa.array(rec)),
            "team_id": keys("teams", r.team[rec]),
            "role": pick(roles, np.where(r.role[rec] < len(roles), r.role[rec], -1)),
            "manager_rep_id": keys("reps", r.manager[rec]),
            "hired_date": r.hired_day[rec],
            "left_date": np.where(left, r.left_day[rec], NA),
        }

    return _model(sim, "reps", r.n, [r.created, r.left_change], build)


def targets(sim: Any) -> TableModel:
    t = sim.targets

    def build(rec: np.ndarray, asof: np.ndarray) -> dict[str, Any]:
        return {
            "target_id": keys("targets", rec),
            "rep_id": keys("reps", t.rep[rec]),
            "team_id": keys("teams", t.team[rec]),
            "lead_source": pick(t.source_names, t.source[rec]),
            "metric": pick(("won_revenue", "deal_count", "calls", "new_leads"), t.metric[rec]),
            "target_month": t.month_day[rec],
            "target_value": np.where(reached(t.revised[rec], asof), t.value2[rec], t.value[rec]),
        }

    return _model(sim, "targets", t.n, [t.created, t.revised], build)


# ------------------------------------------------------------------ customers
def accounts(sim: Any) -> TableModel:
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

    return _model(sim, "accounts", a.n, [a.created, a.reassign_at, a.touch], build)


def contacts(sim: Any) -> TableModel:
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

    return _model(sim, "contacts", c.n, [c.created, c.touch], build)


def partners(sim: Any) -> TableModel:
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

    return _model(sim, "partners", p.n, [p.created, p.tier_change], build)


# ------------------------------------------------------------------ marketing
def campaigns(sim: Any) -> TableModel:
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

    return _model(sim, "campaigns", c.n, [c.created, c.end_ts], build)


def campaign_members(sim: Any) -> TableModel:
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

    return _model(sim, "campaign_members", m.n, [m.added, m.sent, m.responded], build)


def leads(sim: Any) -> TableModel:
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

    return _model(
        sim, "leads", L.n, [L.created, L.worked, L.qualified, L.unqualified, L.converted], build
    )


def web_sessions(sim: Any) -> TableModel:
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

    return _model(sim, "web_sessions", w.n, [w.started], build)


def email_list_events(sim: Any) -> TableModel:
    e = sim.email_events

    def build(rec: np.ndarray, asof: np.ndarray) -> dict[str, Any]:
        return {
            "event_id": keys("email_list_events", rec),
            "list_id": pick([s for s, _ in vocab.EMAIL_LISTS], e.list[rec]),
            "subscriber_email": e.email.take(pa.array(rec)),
            "event_type": pick(("subscribe", "unsubscribe"), e.type[rec]),
            "occurred_at": e.occurred[rec],
        }

    return _model(sim, "email_list_events", e.n, [e.occurred], build)


# ------------------------------------------------------------------ sales
def products(sim: Any) -> TableModel:
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

    return _model(sim, "products", p.n, [p.created, p.change1, p.change2], build)


def opportunities(sim: Any) -> TableModel:
    o, a, p = sim.opps, sim.accounts, sim.products
    n = o.n
    rng = sim.rng(990)
    o.stage_ws = rng.random(n) < 0.02
    blank_account = rng.random(n) < 0.05
    fam = pick([f[0] for f in vocab.PRODUCT_FAMILIES], p.family[o.product])
    suffix = pick((" - New", " - Expansion", " - Renewal"), o.type)
    acc_name = a.name.take(pa.array(o.account))
    o.name = concat(acc_name, " - ", fam, suffix)

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
        account = np.where(blank_account[rec] & (code == 0), -1, o.account_ref[rec])
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
            "amount": o.amount[rec, col],
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
        }

    changes = [o.entry[:, k] for k in range(8)]
    return _model(sim, "opportunities", n, changes, build)


def opportunity_stage_history(sim: Any) -> TableModel:
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

    return _model(sim, "opportunity_stage_history", h.n, [h.entered], build)


def quotes(sim: Any) -> TableModel:
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

    return _model(sim, "quotes", q.n, [q.created, q.sent, q.accepted, q.rejected, q.expired], build)


# ------------------------------------------------------------------ revenue
def orders(sim: Any) -> TableModel:
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
    return _model(sim, "orders", od.n, changes, build)


def order_lines(sim: Any) -> TableModel:
    ln, od = sim.lines, sim.orders

    def build(rec: np.ndarray, asof: np.ndarray) -> dict[str, Any]:
        return {
            "order_line_id": keys("order_lines", rec),
            "order_id": keys("orders", ln.order[rec]),
            "product_id": keys("products", ln.product[rec]),
            "quantity": ln.qty[rec],
            "unit_price": ln.price[rec],
        }

    return _model(sim, "order_lines", ln.n, [od.ordered[ln.order] + 60], build)


def contracts(sim: Any) -> TableModel:
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

    return _model(sim, "contracts", ct.n, [ct.draft, ct.signed, ct.expire, ct.cancel], build)


def invoices(sim: Any) -> TableModel:
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

    return _model(sim, "invoices", inv.n, [inv.created], build)


def payments(sim: Any) -> TableModel:
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

    return _model(sim, "payments", P.n, [P.created], build)


# ------------------------------------------------------------------ activity and service
def activities(sim: Any) -> TableModel:
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
    return _model(sim, "activities", A.n, [A.created, done, A.cancel_at], build)


def support_cases(sim: Any) -> TableModel:
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
    return _model(sim, "support_cases", C.n, changes, build)


BUILDERS = {
    f.__name__: f
    for f in (
        teams, reps, targets, accounts, contacts, partners, campaigns, campaign_members, leads,
        web_sessions, email_list_events, products, opportunities, opportunity_stage_history, quotes,
        orders, order_lines, contracts, invoices, payments, activities, support_cases,
    )
}  # fmt: skip


def all_tables(sim: Any) -> dict[str, TableModel]:
    return {name: f(sim) for name, f in BUILDERS.items()}
