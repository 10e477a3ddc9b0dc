"""Money is never silently lost: dates outside the exchange-rate seed's
coverage convert at the nearest rate and are counted, an unknown currency stays
null and is reported, the reporting currency converts at 1 on any date, and
`exchange_rate_coverage_severity: error` makes those findings fail the build.

The session's demo warehouse (conftest.demo_warehouse) is copied and four deals
are added to its raw opportunities: EUR closed in 2017 (before the seed's
coverage), GBP closed in 2031 (after it), a currency the seed does not know
(XYZ) and USD closed in 2015, each a raw row of its own landed now. Staging,
the raw rows' classification (dq_raw_rows) and dq_currencies are rebuilt on the
copy; the expected rates are read from seeds/exchange_rates.csv here, not from the
warehouse.
"""

from __future__ import annotations

import csv
import shutil
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import duckdb
import pytest

from crm_warehouse.build import run_dbt
from crm_warehouse.settings import Settings, project_root

#: opportunity id -> (currency, close timestamp) of the deals added.
ADDED = {
    "fx-eur-2017": ("EUR", "2017-05-12 10:00:00"),
    "fx-gbp-2031": ("GBP", "2031-02-10 10:00:00"),
    "fx-xyz-2024": ("XYZ", "2024-06-03 10:00:00"),
    "fx-usd-2015": ("USD", "2015-03-02 10:00:00"),
}
AMOUNT = Decimal("1000.00")
SELECT = [
    "stg_reference__exchange_rates",
    "base_crm__opportunities",
    "stg_crm__opportunities",
    "int_raw_rows_unioned",
    "dq_raw_rows",
    "int_opportunities_converted",
    "dq_currencies",
]


def seed_rate(currency: str, pick: str) -> Decimal:
    """USD per unit of the currency's first or last rate in the seed."""
    path = project_root() / "seeds" / "exchange_rates.csv"
    with path.open(encoding="utf-8") as handle:
        rows = [r for r in csv.DictReader(handle) if r["currency_code"] == currency]
    rows.sort(key=lambda r: r["rate_date"])
    row = rows[0] if pick == "first" else rows[-1]
    return Decimal(row["usd_per_unit"])


def money(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


@pytest.fixture(scope="module")
def fx_warehouse(demo_warehouse, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    settings = Settings.under(tmp_path_factory.mktemp("fx"))
    settings.warehouse_path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(demo_warehouse.settings.warehouse_path, settings.warehouse_path)
    with duckdb.connect(str(settings.warehouse_path)) as con:
        columns = [r[0] for r in con.execute("describe raw.opportunities").fetchall()]
        template = con.execute(
            "select opportunity_id from raw.opportunities where closed_at is not null"
            " and amount is not null order by opportunity_id limit 1"
        ).fetchone()[0]
        for row, (opportunity_id, (currency, closed_at)) in enumerate(ADDED.items()):
            override = {
                # a row of its own, landed now, as the loader writes one: the
                # data-quality marts find kept records by (file, row)
                "_source_row": str(1_000_000 + row),
                "_loaded_at": "timezone('UTC', now())",
                "opportunity_id": f"'{opportunity_id}'",
                "currency_code": f"'{currency}'",
                "amount": str(AMOUNT),
                "created_at": f"timestamptz '{closed_at}+00' - interval 30 day",
                "closed_at": f"timestamptz '{closed_at}+00'",
                "updated_at": f"timestamptz '{closed_at}+00'",
                "is_deleted": "false",
            }
            select = ", ".join(override.get(c, c) for c in columns)
            con.execute(
                f"insert into raw.opportunities select {select} from raw.opportunities"
                f" where opportunity_id = '{template}' limit 1"
            )
    logs = ["--log-path", str(settings.warehouse_path.parent / "logs")]
    result = run_dbt(settings, ["build", "-s", *SELECT, *logs])
    failed = [p for p in result.problems() if p.status != "warn"]
    assert result.success and not failed, [(p.unique_id, p.message) for p in failed]
    warned = {p.unique_id for p in result.problems() if p.status == "warn"}
    assert any("amount_converted_int_opportunities_converted_amount" in u for u in warned), warned
    assert any("dq_currencies_records_outside_coverage" in u for u in warned), warned
    assert any("dq_currencies_records_without_rate" in u for u in warned), warned
    return settings


@pytest.mark.xdist_group("warehouse")
def test_amounts_convert_at_the_nearest_rate_or_stay_null(fx_warehouse: Settings) -> None:
    with duckdb.connect(str(fx_warehouse.warehouse_path), read_only=True) as con:
        rows = con.execute(
            "select opportunity_id, amount, exchange_rate_coverage, conversion_date"
            " from intermediate.int_opportunities_converted where opportunity_id like 'fx-%'"
        ).fetchall()
    got = {r[0]: (r[1], r[2], r[3]) for r in rows}
    assert got["fx-eur-2017"] == (
        money(AMOUNT * seed_rate("EUR", "first")),
        "before_coverage",
        date(2017, 5, 12),
    )
    assert got["fx-gbp-2031"] == (
        money(AMOUNT * seed_rate("GBP", "last")),
        "after_coverage",
        date(2031, 2, 10),
    )
    assert got["fx-xyz-2024"] == (None, "no_rate", date(2024, 6, 3))
    assert got["fx-usd-2015"] == (AMOUNT, "reporting_currency", date(2015, 3, 2))


@pytest.mark.xdist_group("warehouse")
def test_dq_currencies_counts_coverage_per_currency(fx_warehouse: Settings) -> None:
    with duckdb.connect(str(fx_warehouse.warehouse_path), read_only=True) as con:
        cur = con.execute(
            "select * from data_quality.dq_currencies where table_name = 'opportunities'"
        )
        names = [d[0] for d in cur.description]
        by_code = {row[2]: dict(zip(names, row, strict=True)) for row in cur.fetchall()}
    eur, gbp, xyz, usd = by_code["EUR"], by_code["GBP"], by_code["XYZ"], by_code["USD"]
    # the demo data lies within the seed's coverage: only the added deals count
    assert (eur["records_before_coverage"], eur["records_after_coverage"]) == (1, 0)
    assert (
        eur["first_date_outside_coverage"] == eur["last_date_outside_coverage"] == date(2017, 5, 12)
    )
    assert eur["first_transaction_date"] == date(2017, 5, 12)
    assert eur["amount_local_outside_coverage"] == AMOUNT
    assert eur["first_rate_date"] == date(2022, 1, 1)
    assert (gbp["records_before_coverage"], gbp["records_after_coverage"]) == (0, 1)
    assert gbp["last_transaction_date"] == gbp["last_date_outside_coverage"] == date(2031, 2, 10)
    assert gbp["coverage_last_date"] == date(2026, 12, 31)
    assert (xyz["records"], xyz["has_exchange_rate"], xyz["records_without_rate"]) == (
        1,
        False,
        1,
    )
    assert xyz["amount_local_without_rate"] == AMOUNT
    assert xyz["records_outside_coverage"] == 0
    assert usd["is_reporting_currency"] and usd["records_outside_coverage"] == 0
    assert usd["first_rate_date"] is None and usd["first_transaction_date"] == date(2015, 3, 2)


@pytest.mark.xdist_group("warehouse")
def test_strict_severity_fails_the_build(fx_warehouse: Settings) -> None:
    logs = ["--log-path", str(Path(fx_warehouse.warehouse_path).parent / "logs")]
    strict = ["--vars", "{exchange_rate_coverage_severity: error}"]
    result = run_dbt(fx_warehouse, ["test", "-s", *SELECT, *strict, *logs])
    assert not result.success
    failed = {p.unique_id for p in result.problems() if p.status == "fail"}
    for name in (
        "amount_converted_int_opportunities_converted_amount",
        "dq_currencies_records_outside_coverage",
        "dq_currencies_records_without_rate",
    ):
        assert any(name in u for u in failed), (name, failed)
