"""Amount revisions of open opportunities (KPI H2's increased / decreased
pipeline): of the opportunities that an export batch writes open (open when
the batch ends), the owner raises the amount of config.AMOUNT_RAISE_RATE and
cuts that of config.AMOUNT_CUT_RATE during one such batch, in the stage the
deal is in at the batch's end. The revision is a change instant of its own,
so that batch's file carries a version with the new amount and a later
updated_at; when the stage began in an earlier batch, the earlier file holds
the same stage at the old amount. The next stage change (or the close)
brings that stage's own amount again.

Kept apart from the deal simulation: the choices come from a hash of the
record number, not from the random streams, so adding the revisions changed
no other value the generator writes (only the opportunities' own files did)."""

from __future__ import annotations

from types import SimpleNamespace as NS

import numpy as np

from crm_warehouse.demo import config
from crm_warehouse.demo.sim.records import TableModel, i64
from crm_warehouse.demo.timeline import BATCH_EDGES, HOUR, NA, T1

#: Revised amounts: x1.10-1.50 (raised) or x0.60-0.90 (cut), in whole currency units.
RAISE_FACTORS = (1.10, 1.50)
CUT_FACTORS = (0.60, 0.90)


def unit_hash(rec: np.ndarray, salt: int) -> np.ndarray:
    """A uniform number in [0, 1) per record number (splitmix64 of the record
    number and `salt`): the same record gets the same number in every run."""
    with np.errstate(over="ignore"):
        x = np.asarray(rec, dtype=np.uint64) + np.uint64(salt) * np.uint64(0x9E3779B97F4A7C15)
        x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        x = x ^ (x >> np.uint64(31))
    return (x >> np.uint64(11)).astype(np.float64) / float(2**53)


class AmountRevisions:
    """The amount revision of each opportunity of `o` (sim.opps): its instant
    (NA: none), the stage slot it revises and the revised amount (local cents)."""

    def __init__(self, o: NS) -> None:
        n = len(o.created)
        rows = np.arange(n)
        rec = rows.astype(i64)
        u_pick, u_edge, u_when, u_size = (unit_hash(rec, salt) for salt in (1, 2, 3, 4))
        raised = u_pick < config.AMOUNT_RAISE_RATE
        cut = ~raised & (u_pick < config.AMOUNT_RAISE_RATE + config.AMOUNT_CUT_RATE)
        # each open stage (slots 0-4) from its entry to the next entry (or the window's end)
        entry = np.where(o.code[:, :6] >= 0, o.entry[:, :6], NA)
        start = entry[:, :5]
        later = np.where(entry == NA, T1, entry)
        end = np.minimum.accumulate(later[:, :0:-1], axis=1)[:, ::-1]
        # the batch ends (edges after the first) each stage holds over: (deal, slot, edge)
        edges = BATCH_EDGES[1:]
        held = (
            (start[:, :, None] != NA)
            & (start[:, :, None] < edges[None, None, :])
            & (end[:, :, None] >= edges[None, None, :])
        ).reshape(n, -1)
        count = held.sum(axis=1)
        nth = np.minimum((u_edge * count).astype(i64), np.maximum(count - 1, 0))
        pick = np.argmax(np.cumsum(held, axis=1) > nth[:, None], axis=1)
        self.slot, edge_no = pick // len(edges), pick % len(edges)
        edge = edges[edge_no]
        lo = np.maximum(start[rows, self.slot], BATCH_EDGES[edge_no])  # the stage in that batch
        at = lo + ((0.2 + 0.6 * u_when) * (edge - lo)).astype(i64)
        amount = o.amount[rows, self.slot]
        factor = np.where(
            raised,
            RAISE_FACTORS[0] + (RAISE_FACTORS[1] - RAISE_FACTORS[0]) * u_size,
            CUT_FACTORS[0] + (CUT_FACTORS[1] - CUT_FACTORS[0]) * u_size,
        )
        known = np.where(amount == NA, 0, amount)
        self.amount = np.round(known * factor / 100).astype(i64) * 100
        ok = (raised | cut) & (count > 0) & (amount != NA) & (amount > 0) & (edge - lo >= 2 * HOUR)
        self.at = np.where(ok & (self.amount > 0) & (self.amount != amount), at, NA)

    def amount_at(
        self, rec: np.ndarray, col: np.ndarray, asof: np.ndarray, amount: np.ndarray
    ) -> np.ndarray:
        """The amount of records `rec` in stage slot `col` as of `asof`, where
        `amount` is the slot's amount before any revision."""
        at = self.at[rec]
        hit = (at != NA) & (asof >= at) & (col == self.slot[rec])
        return np.where(hit, self.amount[rec], amount)

    def add_to(self, tm: TableModel) -> TableModel:
        """The opportunities' table model with the revisions as change instants
        (none on or after a record's soft delete)."""
        at = self.at
        if tm.deleted_at is not None:
            at = np.where((tm.deleted_at != NA) & (at >= tm.deleted_at), NA, at)
        self.at = at
        tm.changes.append(at)
        return tm
