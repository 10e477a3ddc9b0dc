"""Constants of the demo data: window, export batches, volumes, file formats and
the rates of every kind of mess the generator injects.

docs/demo_data.md documents each of them; change them here and there together.
"""

from __future__ import annotations

from datetime import date

# --------------------------------------------------------------------------- window
#: First day of the history (inclusive) and the day after its last day.
WINDOW_START = date(2023, 1, 1)
WINDOW_END = date(2026, 1, 1)  # exclusive: the last day is 2025-12-31

#: Export batches: (first day covered, day after the last day covered). The
#: export date in a file's name is the day after the last day it covers (a
#: nightly export). The last batch covers four days (about 1 % of the rows) so
#: an incremental refresh can be measured on it.
BATCHES: tuple[tuple[date, date], ...] = (
    (date(2023, 1, 1), date(2023, 7, 1)),
    (date(2023, 7, 1), date(2024, 1, 1)),
    (date(2024, 1, 1), date(2024, 7, 1)),
    (date(2024, 7, 1), date(2025, 1, 1)),
    (date(2025, 1, 1), date(2025, 7, 1)),
    (date(2025, 7, 1), date(2025, 10, 1)),
    (date(2025, 10, 1), date(2025, 12, 28)),
    (date(2025, 12, 28), date(2026, 1, 1)),
)

# --------------------------------------------------------------------------- volumes
#: Records per table at scale 1 (targets of the simulation; the actual counts
#: follow from the business story and are stated in the generation report).
#: Teams, products and the lead-source list are fixed; everything else scales.
VOLUMES: dict[str, int] = {
    "reps_slots": 100,  # ~120 reps with the replacements of reps who leave
    "partners": 40,
    "campaigns": 300,
    "accounts": 8_000,
    "contacts": 24_000,
    "leads": 60_000,
    "web_sessions": 220_000,
    "email_list_events": 40_000,
    "campaign_members": 100_000,
    "opportunities": 15_000,
    "activities": 330_000,
    "support_cases": 30_000,
}

#: Smallest counts, so that scale 0.01 still tells a complete story.
MIN_VOLUMES: dict[str, int] = {"partners": 8, "campaigns": 12}

# --------------------------------------------------------------------------- shards
#: Largest scale generated in one piece. A larger scale is generated as equal
#: shards of at most this scale, one at a time (crm_warehouse.demo.shard), so
#: the generator's memory stays bounded (about 0.4 GB per unit of scale).
SHARD_MAX_SCALE = 4.0
#: Tables every shard shares (the same records, written once, by the first shard).
SHARED_TABLES = frozenset({"teams", "products"})

# --------------------------------------------------------------------------- file formats
PARQUET_TABLES = frozenset({"activities", "web_sessions", "opportunity_stage_history"})
JSONL_TABLES = frozenset({"email_list_events", "campaign_members"})


def file_format(table: str) -> str:
    """'parquet', 'jsonl' or 'csv': the format a table's files are written in."""
    if table in PARQUET_TABLES:
        return "parquet"
    if table in JSONL_TABLES:
        return "jsonl"
    return "csv"


# --------------------------------------------------------------------------- mess rates
#: Share of timestamp values in CSV / JSON lines files written with an explicit
#: UTC offset (the instant is the same; no offset means UTC).
TIMESTAMP_OFFSET_RATE = 0.05
#: Offsets used, in minutes east of UTC.
TIMESTAMP_OFFSETS_MINUTES = (60, 120, 330, 540, 600, -180, -300, -420, -480)
#: Share of form leads submitted a second time 1-9 minutes later (a duplicate).
DUPLICATE_SUBMISSION_RATE = 0.02
#: Share of form leads submitted again 20-60 minutes later (NOT a duplicate).
NEAR_MISS_SUBMISSION_RATE = 0.01
#: Share of rows written a second time, identical, into a later batch file.
EXACT_COPY_RATE = 0.01
#: A lead submitted at most this long after the previous submission of the
#: same (lower(trim(email)), form_id) is a duplicate submission (dbt var
#: duplicate_submission_minutes).
DUPLICATE_WINDOW_SECONDS = 600
#: Share of records soft-deleted (a later version with is_deleted true), in the
#: tables listed in SOFT_DELETE_TABLES.
SOFT_DELETE_RATE = 0.01
SOFT_DELETE_TABLES = frozenset(
    {
        "accounts",
        "contacts",
        "leads",
        "opportunities",
        "quotes",
        "orders",
        "invoices",
        "payments",
        "activities",
        "support_cases",
        "campaigns",
    }
)
#: Share of records given a later edit unrelated to their lifecycle
#: (accounts: employee count; contacts: title; targets: value revised).
TOUCH_RATES: dict[str, float] = {"accounts": 0.08, "contacts": 0.06, "targets": 0.08}
#: Free-text values written with leading/trailing spaces (per record).
WHITESPACE_RATE = 0.03
#: Free-text values written in UPPER or lower case (per record).
CASE_VARIANT_RATE = 0.03
#: Leads (and the contacts converted from them or typed by reps) with an invalid email.
INVALID_EMAIL_RATE = 0.015
#: Leads and contacts with an invalid phone.
INVALID_PHONE_RATE = 0.02
#: Opportunities whose current stage is written with a name the stages seed lacks.
UNMAPPED_STAGE_RATE = 0.005
#: Open opportunities their owner leaves out of the forecast (forecast category
#: Omitted; the others follow their stage: demo/sim/forecast.py).
FORECAST_OMITTED_RATE = 0.05
#: Opportunities whose owner revises the amount while the deal is open, in its
#: last open stage (demo/sim/revisions.py): raised x1.1-1.5 or cut x0.6-0.9, a
#: version of its own with a later updated_at (KPI H2's increased / decreased).
AMOUNT_RAISE_RATE = 0.10
AMOUNT_CUT_RATE = 0.06
#: Leads whose lead source the lead_sources seed lacks.
UNMAPPED_LEAD_SOURCE_RATE = 0.005
#: References to a record that exists nowhere, per column listed in MISSING_REFERENCE_COLUMNS.
MISSING_REFERENCE_RATE = 0.002
MISSING_REFERENCE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("activities", "contact_id"),
    ("activities", "account_id"),
    ("opportunities", "account_id"),
    ("support_cases", "contact_id"),
    ("payments", "invoice_id"),
)
#: Malformed junk rows (CSV / JSON lines tables only): rows the loader must
#: reject. At least one per such table of 100 or more rows.
MALFORMED_ROW_RATE = 0.0005
MALFORMED_MIN_TABLE_ROWS = 100

# --------------------------------------------------------------------------- contract changes
#: Contracts amended mid-term (sim.finance.amend_contracts): replaced 3-8 months
#: into their term by an amendment for the rest of it, with more seats (upgrade,
#: monthly value x1.2-1.6) or fewer (downgrade, x0.5-0.85).
CONTRACT_UPGRADE_RATE = 0.04
CONTRACT_DOWNGRADE_RATE = 0.02

# --------------------------------------------------------------------------- validity rules
#: A trimmed email is valid when it matches this (RE2 / Python re compatible).
EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
#: A trimmed phone is valid when it matches this and has 7-15 digits.
PHONE_PATTERN = r"^\+?[0-9 ().\-/]+$"
PHONE_MIN_DIGITS = 7
PHONE_MAX_DIGITS = 15

# --------------------------------------------------------------------------- keys
#: Prefix and zero-padded width of each table's generated identifiers.
KEY_FORMAT: dict[str, tuple[str, int]] = {
    "teams": ("TEAM-", 2),
    "reps": ("REP-", 4),
    "targets": ("TGT-", 7),
    "accounts": ("ACC-", 7),
    "contacts": ("CON-", 7),
    "partners": ("PRT-", 4),
    "campaigns": ("CMP-", 5),
    "campaign_members": ("CMM-", 8),
    "leads": ("LEAD-", 7),
    "web_sessions": ("WS-", 8),
    "email_list_events": ("ELE-", 7),
    "products": ("PRD-", 3),
    "opportunities": ("OPP-", 7),
    "opportunity_stage_history": ("OSH-", 8),
    "quotes": ("QUO-", 7),
    "orders": ("ORD-", 7),
    "order_lines": ("ORL-", 8),
    "contracts": ("CTR-", 7),
    "invoices": ("INV-", 7),
    "payments": ("PAY-", 7),
    "activities": ("ACT-", 8),
    "support_cases": ("CASE-", 7),
}
#: Numbers from here on are never generated: dangling references and the keys
#: of malformed junk rows use them.
DANGLING_BASE = 900_000_000
JUNK_KEY_BASE = 800_000_000

#: Foreign keys checked for missing references: (table, column) -> referenced table.
REFERENCES: dict[tuple[str, str], str] = {
    ("teams", "manager_rep_id"): "reps",
    ("reps", "team_id"): "teams",
    ("reps", "manager_rep_id"): "reps",
    ("targets", "rep_id"): "reps",
    ("targets", "team_id"): "teams",
    ("accounts", "owner_rep_id"): "reps",
    ("accounts", "partner_id"): "partners",
    ("contacts", "account_id"): "accounts",
    ("partners", "partner_manager_rep_id"): "reps",
    ("campaign_members", "campaign_id"): "campaigns",
    ("campaign_members", "lead_id"): "leads",
    ("campaign_members", "contact_id"): "contacts",
    ("leads", "campaign_id"): "campaigns",
    ("leads", "owner_rep_id"): "reps",
    ("leads", "converted_account_id"): "accounts",
    ("leads", "converted_contact_id"): "contacts",
    ("leads", "converted_opportunity_id"): "opportunities",
    ("web_sessions", "lead_id"): "leads",
    ("opportunities", "account_id"): "accounts",
    ("opportunities", "owner_rep_id"): "reps",
    ("opportunities", "partner_id"): "partners",
    ("opportunities", "campaign_id"): "campaigns",
    ("opportunities", "lead_id"): "leads",
    ("opportunities", "product_id"): "products",
    ("opportunity_stage_history", "opportunity_id"): "opportunities",
    ("opportunity_stage_history", "changed_by_rep_id"): "reps",
    ("quotes", "opportunity_id"): "opportunities",
    ("quotes", "account_id"): "accounts",
    ("orders", "account_id"): "accounts",
    ("orders", "opportunity_id"): "opportunities",
    ("orders", "quote_id"): "quotes",
    ("order_lines", "order_id"): "orders",
    ("order_lines", "product_id"): "products",
    ("contracts", "account_id"): "accounts",
    ("contracts", "order_id"): "orders",
    ("contracts", "renewal_of_contract_id"): "contracts",
    ("invoices", "account_id"): "accounts",
    ("invoices", "order_id"): "orders",
    ("invoices", "contract_id"): "contracts",
    ("payments", "invoice_id"): "invoices",
    ("payments", "account_id"): "accounts",
    ("activities", "rep_id"): "reps",
    ("activities", "account_id"): "accounts",
    ("activities", "contact_id"): "contacts",
    ("activities", "lead_id"): "leads",
    ("activities", "opportunity_id"): "opportunities",
    ("activities", "case_id"): "support_cases",
    ("support_cases", "account_id"): "accounts",
    ("support_cases", "contact_id"): "contacts",
    ("support_cases", "owner_rep_id"): "reps",
}

#: Free-text columns whose raw values map through a seed: (table, column) ->
#: (seed file, seed column). Values not in the seed after trim + lower are
#: reported as unmapped.
SEED_MAPPED: dict[tuple[str, str], tuple[str, str]] = {
    ("opportunities", "stage_name"): ("stages.csv", "raw_stage_name"),
    ("opportunity_stage_history", "stage_name"): ("stages.csv", "raw_stage_name"),
    ("leads", "lead_source"): ("lead_sources.csv", "raw_lead_source"),
    ("campaigns", "channel"): ("campaign_channels.csv", "raw_channel"),
    ("support_cases", "priority"): ("case_priorities.csv", "raw_priority"),
}

#: Email and phone columns checked for validity.
EMAIL_COLUMNS: tuple[tuple[str, str], ...] = (
    ("reps", "email"),
    ("contacts", "email"),
    ("leads", "email"),
    ("email_list_events", "subscriber_email"),
)
PHONE_COLUMNS: tuple[tuple[str, str], ...] = (("contacts", "phone"), ("leads", "phone"))


def rates() -> dict[str, object]:
    """The injected rates, as stated in the generation report."""
    return {
        "timestamp_offset_rate": TIMESTAMP_OFFSET_RATE,
        "duplicate_submission_rate": DUPLICATE_SUBMISSION_RATE,
        "near_miss_submission_rate": NEAR_MISS_SUBMISSION_RATE,
        "exact_copy_rate": EXACT_COPY_RATE,
        "soft_delete_rate": SOFT_DELETE_RATE,
        "soft_delete_tables": sorted(SOFT_DELETE_TABLES),
        "touch_rates": dict(sorted(TOUCH_RATES.items())),
        "whitespace_rate": WHITESPACE_RATE,
        "case_variant_rate": CASE_VARIANT_RATE,
        "invalid_email_rate": INVALID_EMAIL_RATE,
        "invalid_phone_rate": INVALID_PHONE_RATE,
        "unmapped_stage_rate": UNMAPPED_STAGE_RATE,
        "forecast_omitted_rate": FORECAST_OMITTED_RATE,
        "amount_raise_rate": AMOUNT_RAISE_RATE,
        "amount_cut_rate": AMOUNT_CUT_RATE,
        "unmapped_lead_source_rate": UNMAPPED_LEAD_SOURCE_RATE,
        "missing_reference_rate": MISSING_REFERENCE_RATE,
        "missing_reference_columns": [f"{t}.{c}" for t, c in MISSING_REFERENCE_COLUMNS],
        "malformed_row_rate": MALFORMED_ROW_RATE,
        "contract_upgrade_rate": CONTRACT_UPGRADE_RATE,
        "contract_downgrade_rate": CONTRACT_DOWNGRADE_RATE,
    }
