"""Amount revisions of the demo's open opportunities (crm_warehouse.demo.sim.
revisions): where they fall, what they change, and that they draw nothing
from the random streams."""

from __future__ import annotations

from types import SimpleNamespace as NS

import numpy as np

from crm_warehouse.demo import config
from crm_warehouse.demo.sim.records import TableModel
from crm_warehouse.demo.sim.revisions import AmountRevisions, unit_hash
from crm_warehouse.demo.timeline import BATCH_EDGES, DAY, NA, T1, batch_of

N = 4000


def _deals() -> NS:
    """N deals: prospecting from `created`, proposal 20 days later, closed 40
    days later (won), except the last quarter, still open in proposal at the
    window's end; slot 0 of every tenth deal has no amount."""
    rng = np.random.default_rng(7)
    created = rng.integers(BATCH_EDGES[0], T1 - 45 * DAY, N)
    created[3 * N // 4 :] = T1 - rng.integers(25 * DAY, 200 * DAY, N - 3 * N // 4)
    entry = np.full((N, 8), NA)
    code = np.full((N, 8), -1)
    entry[:, 0], code[:, 0] = created, 0
    entry[:, 3], code[:, 3] = created + 20 * DAY, 3
    still_open = np.arange(N) >= 3 * N // 4
    entry[:, 5] = np.where(still_open, NA, created + 40 * DAY)
    code[:, 5] = np.where(still_open, -1, 5)
    amount = np.full((N, 8), NA)
    amount[:, 0] = np.where(np.arange(N) % 10 == 0, NA, 1_000_000)
    amount[:, 3] = 2_000_000
    amount[:, 5] = np.where(still_open, NA, 2_500_000)
    return NS(created=created, entry=entry, code=code, amount=amount)


def test_unit_hash_is_uniform_deterministic_and_salted() -> None:
    rec = np.arange(100_000)
    u = unit_hash(rec, 1)
    assert ((u >= 0) & (u < 1)).all()
    assert np.array_equal(u, unit_hash(rec, 1))
    assert abs(u.mean() - 0.5) < 0.01 and abs((u < 0.1).mean() - 0.1) < 0.005
    assert abs(np.corrcoef(u, unit_hash(rec, 2))[0, 1]) < 0.01


def test_revisions_fall_inside_a_stage_held_over_a_batch_end() -> None:
    o = _deals()
    r = AmountRevisions(o)
    rows = np.flatnonzero(r.at != NA)
    slot = r.slot[rows]
    start = o.entry[rows, slot]
    nxt = np.where(
        slot == 0, o.entry[rows, 3], np.where(o.entry[rows, 5] == NA, T1, o.entry[rows, 5])
    )
    # strictly after the stage began, in a batch that ends before the stage does
    assert (r.at[rows] > start).all()
    assert (BATCH_EDGES[batch_of(r.at[rows]) + 1] <= nxt).all()
    # the slot had an amount, and the revision changed it, to whole currency units
    before = o.amount[rows, slot]
    assert (before != NA).all() and (r.amount[rows] != before).all()
    assert (r.amount[rows] % 100 == 0).all()
    ratio = r.amount[rows] / before
    assert (((ratio >= 1.09) & (ratio <= 1.51)) | ((ratio >= 0.59) & (ratio <= 0.91))).all()
    # raised about twice as often as cut, among deals written open at a batch end
    raised, cut = (ratio > 1).sum(), (ratio < 1).sum()
    end = np.where(o.entry[:, 5] == NA, T1, o.entry[:, 5])
    edges = BATCH_EDGES[1:]
    open_at_an_end = ((o.created[:, None] < edges) & (end[:, None] >= edges)).any(axis=1)
    eligible = open_at_an_end.sum()
    assert open_at_an_end[rows].all() and 1000 < eligible < N
    assert 0.6 * config.AMOUNT_RAISE_RATE < raised / eligible < 1.1 * config.AMOUNT_RAISE_RATE
    assert 0.6 * config.AMOUNT_CUT_RATE < cut / eligible < 1.1 * config.AMOUNT_CUT_RATE


def test_the_revised_amount_holds_in_its_stage_from_the_revision_on() -> None:
    o = _deals()
    r = AmountRevisions(o)
    i = int(np.flatnonzero(r.at != NA)[0])
    k = int(r.slot[i])
    rec = np.array([i, i, i])
    asof = np.array([r.at[i] - 1, r.at[i], r.at[i] + 1])
    base = np.full(3, o.amount[i, k])
    assert r.amount_at(rec, np.full(3, k), asof, base).tolist() == [
        o.amount[i, k],
        r.amount[i],
        r.amount[i],
    ]
    # another stage (the close) keeps its own amount
    assert r.amount_at(rec[:1], np.array([5]), asof[2:], base[:1]).tolist() == [o.amount[i, k]]


def test_no_revision_on_or_after_a_soft_delete() -> None:
    o = _deals()
    r = AmountRevisions(o)
    rows = np.flatnonzero(r.at != NA)
    deleted = np.full(N, NA)
    deleted[rows[:5]] = r.at[rows[:5]]  # deleted at the revision instant
    deleted[rows[5:10]] = r.at[rows[5:10]] + 1  # deleted just after
    tm = TableModel(
        name="opportunities", n=N, changes=[o.entry[:, 0]], build=dict, deleted_at=deleted
    )
    r.add_to(tm)
    assert len(tm.changes) == 2
    assert (tm.changes[1][rows[:5]] == NA).all() and (tm.changes[1][rows[5:10]] != NA).all()
    assert (tm.changes[1][rows[10:]] == r.at[rows[10:]]).all()
