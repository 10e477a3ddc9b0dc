"""Organisation: teams, reps (hired before or during the window; some leave and
are replaced) and their monthly targets."""

from __future__ import annotations

from types import SimpleNamespace as NS
from typing import Any

import numpy as np
import pyarrow as pa

from crm_warehouse.demo import config, text, vocab
from crm_warehouse.demo.sim.records import BIG, TableModel, day_number, i64, in_window, reached
from crm_warehouse.demo.sim.registry import builds, table_model
from crm_warehouse.demo.sim.world import Sim
from crm_warehouse.demo.text import keys, pick
from crm_warehouse.demo.timeline import DAY, HOUR, NA, T0, T1, add_months

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
#: Lead sources given a monthly new-leads target.
TARGET_LEAD_SOURCES = (
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


def simulate_reps(sim: Sim) -> None:
    """Reps of every team (managers first), their names, emails and the rep pools."""
    rng = sim.rng(1)
    win0, win1 = T0 // DAY, T1 // DAY
    team, role, hired, left = [], [], [], []

    def add(t: int, r: int, h: int, lft: int) -> None:
        team.append(t)
        role.append(r)
        hired.append(h)
        left.append(lft)

    for ti in range(len(TEAMS)):
        add(ti, 0, int(rng.integers(day_number(2014, 1, 1), day_number(2021, 12, 31))), NA)
    for ti, (*_, member_role, count) in enumerate(TEAMS):
        r = ROLES.index(member_role)
        for _ in range(max(1, round(count * sim.scale))):
            if rng.random() < 0.78:
                h = int(rng.integers(day_number(2016, 1, 1), day_number(2022, 12, 20)))
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
    sim.reps = s

    def pool(roles: tuple[int, ...], teams: tuple[int, ...]) -> np.ndarray:
        return np.flatnonzero(np.isin(s.role, roles) & np.isin(s.team, teams))

    ae = ROLES.index("account_executive")
    sim.pool_ae = [pool((ae,), (0, 2)), pool((ae,), (1, 3)), pool((ae,), (4,))]
    sim.pool_sdr = [pool((2,), (5,)), pool((2,), (6,)), pool((2,), (6,))]
    sim.pool_pm = pool((3,), (7,))
    sim.pool_am = pool((4,), (8,))
    sim.pool_agent = [pool((5,), (9,)), pool((5,), (10,)), pool((5,), (10,))]


#: Row of a target: (rep, team, lead source, metric, month, value in cents).
TargetRow = tuple[int, int, int, int, int, int]


def simulate_targets(sim: Sim) -> None:
    """Monthly targets: per rep (by role), per sales or partner team, per lead source."""
    rng = sim.rng(16)
    r = sim.reps
    months = np.arange(36)
    month_day = np.array([add_months(np.array([T0 // DAY]), int(k))[0] for k in months])
    month_end = np.array([add_months(np.array([T0 // DAY]), int(k) + 1)[0] for k in months])
    quota = rng.uniform(30_000, 90_000, r.n)
    calls = rng.uniform(150, 350, r.n)
    rows = _rep_target_rows(r, quota, calls, month_day, month_end)
    if sim.shard == 0:  # team and lead-source targets once, for the whole company
        rows += _team_target_rows(r, months, sim.shards)
        rows += _lead_source_target_rows(sim.count("leads") * sim.shards / 36, months)
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
    T.source_names = TARGET_LEAD_SOURCES
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
    sim.targets = T


def _rep_target_rows(
    r: NS, quota: np.ndarray, calls: np.ndarray, month_day: np.ndarray, month_end: np.ndarray
) -> list[TargetRow]:
    """Won revenue, deal count and calls per rep and month employed, by role."""
    ae, sdr, pm, am = (
        ROLES.index(x) for x in ("account_executive", "sdr", "partner_manager", "account_manager")
    )
    spec = {
        ae: ((0, 1.0), (1, 1.0), (2, 1.0)),
        sdr: ((2, 1.5),),
        pm: ((0, 0.8), (1, 1.0)),
        am: ((0, 0.4), (2, 0.6)),
    }
    rows = []
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
    return rows


def _team_target_rows(r: NS, months: np.ndarray, shards: int) -> list[TargetRow]:
    """Won revenue and deal count per sales or partner team and month (members:
    those of this shard times the shards, which are of equal scale)."""
    rows = []
    for ti in range(8):  # sales and partner teams
        for mk in months:
            members = int(((r.team == ti) & (r.role != 0)).sum()) * shards
            rows.append((-1, ti, -1, 0, mk, round(members * 60_000 * (1 + 0.012 * mk), -3) * 100))
            rows.append((-1, ti, -1, 1, mk, max(1, members * 4) * 100))
    return rows


def _lead_source_target_rows(per_month: float, months: np.ndarray) -> list[TargetRow]:
    """New leads per lead source and month, in proportion to the sources' weights."""
    weights = {s: w for s, _, w in vocab.LEAD_SOURCES}
    total_w = sum(w for _, _, w in vocab.LEAD_SOURCES)
    rows = []
    for si, s in enumerate(TARGET_LEAD_SOURCES):
        for mk in months:
            value = round(per_month * weights[s] / total_w * (0.8 + 0.012 * mk)) * 100
            rows.append((-1, -1, si, 3, mk, value))
    return rows


@builds("teams")
def teams_table(sim: Sim) -> TableModel:
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

    return table_model(sim, "teams", n, [created], build)


@builds("reps")
def reps_table(sim: Sim) -> TableModel:
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

    return table_model(sim, "reps", r.n, [r.created, r.left_change], build)


@builds("targets")
def targets_table(sim: Sim) -> TableModel:
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

    return table_model(sim, "targets", t.n, [t.created, t.revised], build)
