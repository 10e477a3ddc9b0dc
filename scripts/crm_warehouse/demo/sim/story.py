"""The story of the simulated company, in the order it is simulated.

1. Teams and reps (hired before or during the window; some leave and are replaced).
2. Products, partners and campaigns.
3. Accounts: migrated prospects and customers (first days of 2023) and new ones
   over the window.
4. Leads from campaigns and organic sources, web forms with duplicate
   submissions; the funnel new -> working -> qualified -> converted (or
   unqualified). Conversions create (or match) an account, a contact and
   usually an opportunity; contacts at accounts.
5. Opportunities in rounds: stage paths (skips, re-opens), win / loss; quotes,
   orders with lines, 12-month contracts for subscriptions; renewals and
   expansions start the next round.
6. Invoices and payments.
7. Support cases, activities, web sessions, email list events, campaign
   members and monthly targets.
8. References to records that exist nowhere, in the columns config names.

Importing this module imports every domain module, which registers its table
builders (crm_warehouse.demo.sim.registry).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from crm_warehouse.demo import config
from crm_warehouse.demo.sim import deals, finance, marketing, organisation, sales, service
from crm_warehouse.demo.sim.world import Sim


def simulate(seed: int, scale: float, root: Path, shard: int = 0, shards: int = 1) -> Sim:
    """The simulated company (or one shard of `shards`, see crm_warehouse.demo.shard)
    for a seed and scale (`root`: the project, for its seeds)."""
    sim = Sim(seed, scale, root, shard=shard, shards=shards)
    organisation.simulate_reps(sim)
    sales.simulate_products(sim)
    sales.simulate_partners(sim)
    marketing.simulate_campaigns(sim)
    sales.simulate_base_accounts(sim)
    marketing.simulate_leads(sim)
    sales.simulate_conversions(sim)
    sales.simulate_contacts(sim)
    deals.simulate_deals(sim)
    finance.simulate_invoices(sim)
    service.simulate_cases(sim)
    service.simulate_activities(sim)
    marketing.simulate_web_sessions(sim)
    marketing.simulate_email_events(sim)
    marketing.simulate_campaign_members(sim)
    organisation.simulate_targets(sim)
    inject_missing_references(sim)
    return sim


def inject_missing_references(sim: Sim) -> None:
    """Point MISSING_REFERENCE_RATE of the MISSING_REFERENCE_COLUMNS at records that exist nowhere."""
    rng = sim.rng(17)
    targets = {
        ("activities", "contact_id"): (sim.activities, "contact"),
        ("activities", "account_id"): (sim.activities, "account"),
        ("opportunities", "account_id"): (sim.opps, "account_ref"),
        ("support_cases", "contact_id"): (sim.cases, "contact"),
        ("payments", "invoice_id"): (sim.payments, "invoice_ref"),
    }
    sim.opps.account_ref = sim.opps.account.copy()
    sim.payments.invoice_ref = sim.payments.invoice.copy()
    for key in config.MISSING_REFERENCE_COLUMNS:
        ns, attr = targets[key]
        arr = getattr(ns, attr)
        cand = np.flatnonzero(arr >= 0)
        hit = cand[rng.random(len(cand)) < config.MISSING_REFERENCE_RATE]
        arr = arr.copy()
        arr[hit] = config.DANGLING_BASE + rng.integers(0, 10_000_000, len(hit))
        setattr(ns, attr, arr)
