"""Forecast categories of the demo's opportunities (the optional raw column
forecast_category, KPI H3): what the owner calls each open deal, following
its stage as a CRM's default mapping does, with a share of open deals the
owner leaves out of the forecast ("Omitted"). Kept apart from the deal
simulation: it draws nothing from the random streams, so adding it changed
no other value the generator writes."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from crm_warehouse.demo import config
from crm_warehouse.demo.text import pick

#: Category per stage code (vocab.STAGES order), as Salesforce spells them.
_SPELLINGS = ("Pipeline", "Pipeline", "Pipeline", "Best Case", "Commit", "Closed", "Omitted")


def forecast_category(rec: np.ndarray, code: np.ndarray) -> pa.Array:
    """The forecast category of opportunities `rec` in stage `code`: Pipeline
    (prospecting to discovery), Best Case (proposal), Commit (negotiation),
    Closed (won), Omitted (lost, and config.FORECAST_OMITTED_RATE of the open
    deals, chosen by record number so that a deal keeps its choice)."""
    omitted = (rec * 7919 % 1000) < round(config.FORECAST_OMITTED_RATE * 1000)
    index = np.where((code < 5) & omitted, 6, np.clip(code, 0, 6))
    return pick(_SPELLINGS, np.where(code >= 0, index, -1))
