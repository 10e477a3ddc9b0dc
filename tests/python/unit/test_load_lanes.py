"""Landing folders loaded side by side (crm_warehouse.ingest.lanes): the plan
that splits a load into lanes, and a load in two lanes giving what a load in
one gives, file for file and row for row."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from test_bad_input_corpus import ACCOUNTS, account
from test_load import HEADER, by_path, csv_text, good_row, land, query

import crm_warehouse.ingest.load as load_mod
from crm_warehouse.ingest import lanes
from crm_warehouse.ingest.connection import connect_warehouse
from crm_warehouse.ingest.files import discover, file_stat
from crm_warehouse.ingest.load import load_landing
from crm_warehouse.settings import Settings


def accounts(*counts: str) -> str:
    return csv_text(ACCOUNTS, [account(i, n) for i, n in enumerate(counts)])


def opportunities(first: int, n: int) -> str:
    return csv_text(HEADER, [good_row(i) for i in range(first, first + n)])


@pytest.fixture(autouse=True)
def lanes_for_small_files(monkeypatch: pytest.MonkeyPatch) -> None:
    """The tests' files are small: lanes whatever their size (but below)."""
    monkeypatch.setattr(lanes, "MIN_NEW_BYTES", 0)


@pytest.fixture
def s(tmp_path: Path) -> Settings:
    return Settings.under(tmp_path)


def land_three_folders(s: Settings) -> None:
    """Three tables, one with a bad row, one with a file rejected whole."""
    land(s, "opportunities/opportunities__b01.csv", opportunities(1, 40))
    land(s, "opportunities/opportunities__b02.csv", opportunities(30, 30))
    land(s, "accounts/accounts__b01.csv", accounts("5", "-1", "7"))
    land(s, "accounts/accounts__b02.csv", accounts("9"))
    land(s, "quotes/quotes__b01.csv", "quote_id\nQ1\n")  # required columns missing
    land(s, "quotes/quotes__b02.csv", "quote_id,opportunity_id\nQ2,O1\n")


def test_the_plan_puts_each_folder_in_a_task_largest_first_and_links_last(
    tmp_path: Path,
) -> None:
    landing = tmp_path / "landing"
    for rel, size in [("a/1.csv", 10), ("a/2.csv", 11), ("b/1.csv", 50), ("c/1.csv", 3)]:
        (landing / rel).parent.mkdir(parents=True, exist_ok=True)
        (landing / rel).write_bytes(b"x" * size)
    (landing / "a" / "link.csv").symlink_to(landing / "c" / "1.csv")
    files = discover(landing)
    names = [f.relative_to(landing).as_posix() for f in files]
    assert names == ["a/1.csv", "a/2.csv", "b/1.csv", "c/1.csv", "a/link.csv"]
    plan = lanes.plan(files, landing, set())
    assert plan is not None
    assert [[names[i] for i in task] for task in plan.tasks] == [
        ["b/1.csv"],
        ["a/1.csv", "a/2.csv"],
        ["c/1.csv"],
    ]
    assert [names[i] for i in plan.after] == ["a/link.csv"]


def test_folders_holding_files_of_one_size_share_a_task_in_path_order(tmp_path: Path) -> None:
    """Only files of the same size can be copies of each other: the folders
    holding them load in one lane, so the first copy in path order loads."""
    landing = tmp_path / "landing"
    for rel, size in [("a/1.csv", 7), ("b/1.csv", 9), ("b/2.csv", 30), ("c/1.csv", 7)]:
        (landing / rel).parent.mkdir(parents=True, exist_ok=True)
        (landing / rel).write_bytes(b"x" * size)
    files = discover(landing)
    plan = lanes.plan(files, landing, set())
    assert plan is not None
    names = [f.relative_to(landing).as_posix() for f in files]
    assert [[names[i] for i in task] for task in plan.tasks] == [
        ["b/1.csv", "b/2.csv"],
        ["a/1.csv", "c/1.csv"],
    ]


def test_one_folder_is_no_plan(tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    (landing / "a").mkdir(parents=True)
    for name in ("1.csv", "2.csv"):
        (landing / "a" / name).write_bytes(name.encode())
    assert lanes.plan(discover(landing), landing, set()) is None


def test_a_load_of_few_new_bytes_runs_in_one_lane(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Files the ledger holds unchanged are skipped unread: only the others
    count towards MIN_NEW_BYTES."""
    monkeypatch.setattr(lanes, "MIN_NEW_BYTES", 100)
    landing = tmp_path / "landing"
    for rel, size in [("a/1.csv", 90), ("b/1.csv", 20)]:
        (landing / rel).parent.mkdir(parents=True, exist_ok=True)
        (landing / rel).write_bytes(b"x" * size)
    files = discover(landing)
    assert lanes.plan(files, landing, set()) is not None  # 110 new bytes
    stat = file_stat(files[0])
    recorded = {("a/1.csv", stat.size, stat.stamp)}
    assert lanes.plan(files, landing, recorded) is None  # 20 new bytes
    # the same path recorded with another stamp was written since: new again
    assert lanes.plan(files, landing, {("a/1.csv", stat.size, "other")}) is not None


def _comparable(summary: Any) -> list[tuple[Any, ...]]:
    return [
        (f.path, f.table, f.status, f.rows_landed, f.rows_loaded, f.rows_quarantined, f.messages)
        for f in summary.files
    ]


def test_two_lanes_load_what_one_lane_loads(tmp_path: Path) -> None:
    one, two = Settings.under(tmp_path / "one"), Settings.under(tmp_path / "two")
    land_three_folders(one)
    land_three_folders(two)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(load_mod, "LANES", 1)
        serial = load_landing(one)
    threads: set[str] = set()
    real = load_mod._Loader.run_files
    # both lanes must be loading at once: each waits for the other at its first task
    both = threading.Barrier(2, timeout=30)

    def run_files(self: Any, files: list[Path], *args: Any) -> Any:
        name = threading.current_thread().name
        if name.startswith("crm-load-lane") and name not in threads:
            threads.add(name)
            both.wait()
        return real(self, files, *args)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(load_mod._Loader, "run_files", run_files)
        parallel = load_landing(two)
    assert {"crm-load-lane-1", "crm-load-lane-2"} <= threads
    assert _comparable(parallel) == _comparable(serial)
    # the case covers a rejected file and a quarantined row
    assert [f.status for f in parallel.files].count("rejected") == 2
    assert sum(f.rows_quarantined for f in parallel.files) == 1
    for table in ("opportunities", "accounts", "quotes", "_quarantine"):
        sql = f"select * exclude (_loaded_at) from raw.{table} order by all"
        if table == "_quarantine":
            sql = f"select * exclude (quarantined_at) from raw.{table} order by all"
        assert query(two, sql) == query(one, sql), table
    ledger = "select source_file, table_name, status, rows_loaded from raw._load_ledger order by 1"
    assert query(two, ledger) == query(one, ledger)


def test_a_copy_in_another_folder_is_the_one_skipped_in_path_order(s: Settings) -> None:
    text = opportunities(1, 3)
    land(s, "opportunities/a.csv", text)
    land(s, "quotes/a.csv", text)  # the same bytes, later in path order
    land(s, "accounts/big.csv", accounts(*["1"] * 500))  # another lane's work
    files = by_path(load_landing(s))
    assert files["opportunities/a.csv"].status == "loaded"
    copy = files["quotes/a.csv"]
    assert copy.status == "skipped_duplicate_file"
    assert "as opportunities/a.csv, loaded in this run" in copy.messages[0]


def test_a_lane_that_fails_stops_the_load_with_its_error(
    s: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    land_three_folders(s)
    real = load_mod._Loader._open

    def failing_open(self: Any, path: Path, rel: str) -> Any:
        if rel.startswith("accounts/"):
            raise OSError(f"disk gone while reading {rel}")
        return real(self, path, rel)

    monkeypatch.setattr(load_mod._Loader, "_open", failing_open)
    with pytest.raises(OSError, match=r"disk gone while reading accounts/accounts__b01\.csv"):
        load_landing(s)
    # what committed before the error balances: no file is half loaded
    for landed, loaded, quarantined in query(
        s, "select rows_landed, rows_loaded, rows_quarantined from raw._load_ledger"
    ):
        assert landed == loaded + quarantined


def test_each_commit_of_the_loader_is_checkpointed(tmp_path: Path) -> None:
    """The loader's connection checkpoints at every commit, so each lane
    checkpoints its own files while the other loads: the write-ahead log is
    empty after a commit, where DuckDB's default would keep it until 16 MB."""
    path = tmp_path / "wh.duckdb"
    con = connect_warehouse(path)
    try:
        con.execute("create table t (i bigint, s varchar)")
        con.execute("begin transaction")
        con.execute("insert into t select range, 'row ' || range from range(50000)")
        con.execute("commit")
        wal = path.with_name(path.name + ".wal")
        assert not wal.exists() or wal.stat().st_size == 0
        assert con.execute("select count(*) from t").fetchone() == (50_000,)
    finally:
        con.close()
