"""The demo's table builders, registered by the domain modules.

A builder turns the simulated company into the `TableModel` of one contract
table. Each domain module registers its builders with `@builds("<table>")`
when imported (crm_warehouse.demo.sim.story imports them all), so `BUILDERS`
maps every contract table the demo can fill to its builder. The contract
(crm_warehouse.ingest.contract) says which tables to write; a contract table without a
builder is written empty (crm_warehouse.generate warns about it).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from crm_warehouse.demo import config
from crm_warehouse.demo.sim.records import TableModel, last_change
from crm_warehouse.demo.sim.world import Sim
from crm_warehouse.demo.timeline import DAY, NA, T1

Builder = Callable[[Sim], TableModel]

#: Contract table name -> its builder; filled by @builds in the domain modules.
BUILDERS: dict[str, Builder] = {}


def builds(table: str) -> Callable[[Builder], Builder]:
    """Register the decorated function as the builder of contract table `table`."""

    def register(builder: Builder) -> Builder:
        if table in BUILDERS:
            raise ValueError(f"two demo builders for table {table}")
        BUILDERS[table] = builder
        return builder

    return register


def table_rng(sim: Sim, table: str) -> np.random.Generator:
    """The random stream of a table's soft deletes, numbered by the table's place
    among the registered names in sorted order (as before the registry)."""
    return sim.rng(1000 + sorted(BUILDERS).index(table))


def deleted_at(rng: np.random.Generator, table: str, last_changes: np.ndarray) -> np.ndarray | None:
    """Soft-delete instants (NA: kept) of the records of a SOFT_DELETE_TABLES table."""
    if table not in config.SOFT_DELETE_TABLES:
        return None
    n = len(last_changes)
    hit = rng.random(n) < config.SOFT_DELETE_RATE
    t = last_changes + rng.integers(DAY, 90 * DAY, n)
    return np.where(hit & (t < T1), t, NA)


def table_model(
    sim: Sim,
    name: str,
    n: int,
    changes: list[np.ndarray],
    build: Callable[[np.ndarray, np.ndarray], dict[str, Any]],
) -> TableModel:
    """A table's model, with the soft deletes of its records."""
    deleted = deleted_at(table_rng(sim, name), name, last_change(changes))
    return TableModel(name=name, n=n, changes=changes, build=build, deleted_at=deleted)


def table_models(sim: Sim, names: list[str]) -> dict[str, TableModel]:
    """The models of the tables in `names` that have a builder (in that order)."""
    return {name: BUILDERS[name](sim) for name in names if name in BUILDERS}
