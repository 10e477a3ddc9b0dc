"""The GX validators built in a helper thread while a load starts
(crm_warehouse.ingest.chunks.warm_validators): for the tables that receive
new files, in the order the files load, and for none when nothing is new."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from test_bad_input_corpus import ACCOUNTS, account
from test_load import HEADER, csv_text, good_row, land

import crm_warehouse.ingest.chunks as chunks
import crm_warehouse.ingest.load as load_mod
from crm_warehouse.ingest.contract import Table, load_contract
from crm_warehouse.ingest.files import discover, file_stat, new_tables
from crm_warehouse.ingest.load import load_landing
from crm_warehouse.settings import Settings


@pytest.fixture
def s(tmp_path: Path) -> Settings:
    return Settings.under(tmp_path)


def _landed(s: Settings) -> list[Path]:
    land(s, "opportunities/a.csv", csv_text(HEADER, [good_row(1)]))
    land(s, "accounts/a.csv", csv_text(ACCOUNTS, [account(1, "10")]))
    land(s, "opportunities/b.csv", csv_text(HEADER, [good_row(2)]))
    land(s, "not_a_table/x.csv", "a\n1\n")
    return discover(s.landing_dir)


def test_new_tables_in_the_files_order_each_once(s: Settings) -> None:
    files = _landed(s)
    contract = load_contract()
    names = [t.name for t in new_tables(contract, files, s.landing_dir, set())]
    assert names == ["accounts", "opportunities"]  # discover's path order; no unknown folder
    backwards = [t.name for t in new_tables(contract, files[::-1], s.landing_dir, set())]
    assert backwards == ["opportunities", "accounts"]


def test_files_the_ledger_holds_unchanged_are_not_new(s: Settings) -> None:
    files = _landed(s)
    contract = load_contract()
    recorded = set()
    for path in files:
        st = file_stat(path)
        recorded.add((path.relative_to(s.landing_dir).as_posix(), st.size, st.stamp))
    assert new_tables(contract, files, s.landing_dir, recorded) == []
    (s.landing_dir / "opportunities" / "a.csv").write_text(
        csv_text(HEADER, [good_row(1), good_row(3)])
    )  # changed: new again
    assert [t.name for t in new_tables(contract, files, s.landing_dir, recorded)] == [
        "opportunities"
    ]


def test_warm_validators_builds_each_in_a_helper_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    built: list[tuple[str, str]] = []
    monkeypatch.setattr(
        chunks,
        "validator_for",
        lambda table: built.append((threading.current_thread().name, table.name)),
    )
    contract = load_contract()
    tables = [contract.table("leads"), contract.table("accounts")]
    thread = chunks.warm_validators(tables)
    assert thread is not None
    thread.join(timeout=60)
    assert built == [("crm-load-validators", "leads"), ("crm-load-validators", "accounts")]
    assert chunks.warm_validators([]) is None


def test_a_load_warms_the_new_tables_and_none_when_nothing_is_new(
    s: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[list[str]] = []
    real = chunks.warm_validators

    def spy(tables: list[Table]) -> threading.Thread | None:
        asked.append([t.name for t in tables])
        return real(tables)

    monkeypatch.setattr(load_mod, "warm_validators", spy)
    _landed(s)
    first = load_landing(s)
    assert first.totals["files_loaded"] == 3
    again = load_landing(s)
    assert again.totals["files_loaded"] == 0
    # the second load skips every file unread: no validator, so no GX import
    assert asked == [["accounts", "opportunities"], []]
