"""Bad input the loader must survive (issue #18): a rejection for a file's
name or place does not ban its bytes, a file that changes while it loads is
loaded once and whole on the next run, symlinks cannot reach outside landing/,
`load`/`refresh` exit non-zero when something was rejected, and any warehouse
file name works (raw.duckdb)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import duckdb
import pytest
from test_load import HEADER, by_path, csv_text, good_row, land
from typer.testing import CliRunner

import crm_warehouse.ingest.load as load_mod
from crm_warehouse import cli
from crm_warehouse.ingest.load import load_landing
from crm_warehouse.settings import Settings


def count(s: Settings, sql: str) -> Any:
    con = duckdb.connect()  # attached under a name of its own: the file may be raw.duckdb
    try:
        con.execute(f"attach '{s.warehouse_path}' as wh (read_only)")
        con.execute("use wh")
        return con.execute(sql).fetchall()[0][0]
    finally:
        con.close()


@pytest.fixture
def s(tmp_path: Path) -> Settings:
    return Settings.under(tmp_path)


def _balanced(summary: load_mod.LoadSummary) -> None:
    for f in summary.files:
        assert f.rows_landed == f.rows_loaded + f.rows_quarantined, f


# --------------------------------------------------------------------------- item 1


def test_a_file_rejected_for_its_extension_loads_once_renamed(s: Settings) -> None:
    text = csv_text(HEADER, [good_row(1), good_row(2)])
    wrong = land(s, "opportunities/x.txt", text)
    first = load_landing(s)
    assert [f.status for f in first.files] == ["rejected"]
    assert "unknown file extension '.txt'" in first.files[0].messages[0]
    # the same misplaced bytes are still refused on the next run, not "already processed"
    again = load_landing(s)
    assert [f.status for f in again.files] == ["skipped_duplicate_file"]
    wrong.rename(s.landing_dir / "opportunities" / "x.csv")
    second = load_landing(s)
    (f,) = second.files
    assert (f.path, f.status, f.rows_loaded) == ("opportunities/x.csv", "loaded", 2)
    _balanced(second)
    assert count(s, "select count(*) from raw.opportunities") == 2
    assert count(s, "select count(*) from raw._load_ledger") == 1
    # loaded bytes are loaded once, wherever they land again
    land(s, "opportunities/y.csv", text)
    (y,) = [f for f in load_landing(s).files if f.path == "opportunities/y.csv"]
    assert y.status == "skipped_duplicate_file"
    assert count(s, "select count(*) from raw.opportunities") == 2


def test_a_file_rejected_for_its_folder_loads_once_moved(s: Settings) -> None:
    text = csv_text(HEADER, [good_row(1)])
    wrong = land(s, "opportunity/x.csv", text)
    assert [f.status for f in load_landing(s).files] == ["rejected"]
    (s.landing_dir / "opportunities").mkdir()
    wrong.rename(s.landing_dir / "opportunities" / "x.csv")
    (f,) = load_landing(s).files
    assert (f.status, f.rows_loaded) == ("loaded", 1)
    assert count(s, "select count(*) from raw.opportunities") == 1


def test_same_bytes_as_a_file_rejected_in_this_run_load(s: Settings) -> None:
    text = csv_text(HEADER, [good_row(1)])
    land(s, "opportunities/a.txt", text)
    land(s, "opportunities/b.CSV", text)
    files = by_path(load_landing(s))
    assert files["opportunities/a.txt"].status == "rejected"
    b = files["opportunities/b.CSV"]
    assert (b.status, b.rows_loaded) == ("loaded", 1)
    assert not any("loaded in this run" in m for m in b.messages)
    assert count(s, "select count(*) from raw.opportunities") == 1


def test_same_bytes_as_a_file_rejected_for_content_in_this_run_say_so(s: Settings) -> None:
    bad = "opportunity_id\nO1\n"  # required columns missing
    land(s, "opportunities/a.csv", bad)
    land(s, "opportunities/b.csv", bad)
    a, b = load_landing(s).files
    assert (a.status, b.status) == ("rejected", "skipped_duplicate_file")
    assert "rejected in this run" in b.messages[0]
    assert "loaded in this run" not in b.messages[0]


# --------------------------------------------------------------------------- item 4


def test_a_file_that_grows_while_loading_loads_once_on_the_next_run(
    s: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = land(s, "opportunities/growing.csv", csv_text(HEADER, [good_row(1), good_row(2)]))
    more = csv_text(HEADER, [good_row(3), good_row(4), good_row(5)]).split("\n", 1)[1]
    real_inspect = load_mod.inspect_file

    def inspect_then_grow(*args: Any, **kwargs: Any) -> Any:
        layout = real_inspect(*args, **kwargs)
        with path.open("a", encoding="utf-8") as fh:  # the exporter is still writing
            fh.write(more)
        return layout

    monkeypatch.setattr(load_mod, "inspect_file", inspect_then_grow)
    first = load_landing(s)
    (f,) = first.files
    assert f.status == "skipped_changing_file"
    assert (f.rows_landed, f.rows_loaded, f.rows_quarantined) == (0, 0, 0)
    assert "changed while it was loading" in f.messages[0]
    assert "next load" in f.messages[0]
    assert count(s, "select count(*) from raw.opportunities") == 0
    assert count(s, "select count(*) from raw._load_ledger") == 0
    monkeypatch.setattr(load_mod, "inspect_file", real_inspect)
    (g,) = load_landing(s).files
    assert (g.status, g.rows_landed, g.rows_loaded) == ("loaded", 5, 5)
    assert count(s, "select count(*) from raw.opportunities") == 5
    (h,) = load_landing(s).files
    assert h.status == "skipped_duplicate_file"
    assert count(s, "select count(*) from raw.opportunities") == 5


def test_a_big_file_that_grows_while_streaming_is_rolled_back(
    s: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(load_mod, "CHUNK_ROWS", 2)
    path = land(s, "opportunities/big.csv", csv_text(HEADER, [good_row(i) for i in range(5)]))
    real = load_mod._process_chunk
    calls = []

    def process_then_grow(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) == 1:
            with path.open("a", encoding="utf-8") as fh:
                fh.write(csv_text(HEADER, [good_row(99)]).split("\n", 1)[1])
        return real(*args, **kwargs)

    monkeypatch.setattr(load_mod, "_process_chunk", process_then_grow)
    (f,) = load_landing(s).files
    assert f.status == "skipped_changing_file"
    assert count(s, "select count(*) from raw.opportunities") == 0
    assert count(s, "select count(*) from raw._quarantine") == 0
    monkeypatch.setattr(load_mod, "_process_chunk", real)
    (g,) = load_landing(s).files
    assert (g.status, g.rows_loaded) == ("loaded", 6), g.messages


# --------------------------------------------------------------------------- item 5


def test_a_symlink_to_a_csv_outside_landing_is_refused(s: Settings, tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere" / "opps.csv"
    outside.parent.mkdir()
    outside.write_text(csv_text(HEADER, [good_row(1)]), encoding="utf-8")
    (s.landing_dir / "opportunities").mkdir(parents=True)
    (s.landing_dir / "opportunities" / "opps.csv").symlink_to(outside)
    summary = load_landing(s)
    (f,) = summary.files
    assert f.status == "rejected"
    assert "symbolic link to a file outside the landing folder" in f.messages[0]
    assert count(s, "select count(*) from raw.opportunities") == 0
    # nothing of the target is copied to quarantine, under any layout
    assert not list((s.quarantine_dir / "_rejected_files").rglob("opps.csv*"))


def test_a_symlink_to_a_system_file_is_neither_copied_nor_printed(
    s: Settings, tmp_path: Path
) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("root:TOPSECRET:0:0\n", encoding="utf-8")
    (s.landing_dir / "opportunities").mkdir(parents=True)
    (s.landing_dir / "opportunities" / "passwd.csv").symlink_to(secret)
    (f,) = load_landing(s).files
    assert f.status == "rejected"
    assert not any("TOPSECRET" in m for m in f.messages)
    copied = list(s.quarantine_dir.rglob("*")) if s.quarantine_dir.exists() else []
    assert not any(p.is_file() and "TOPSECRET" in p.read_text() for p in copied)


def test_a_symlinked_table_folder_is_refused_with_a_message(s: Settings, tmp_path: Path) -> None:
    real = tmp_path / "real_opps"
    real.mkdir()
    (real / "a.csv").write_text(csv_text(HEADER, [good_row(1)]), encoding="utf-8")
    s.landing_dir.mkdir(parents=True)
    (s.landing_dir / "opportunities").symlink_to(real, target_is_directory=True)
    summary = load_landing(s)
    (f,) = summary.files
    assert (f.path, f.status) == ("opportunities", "rejected")
    assert "symbolic link to a folder" in f.messages[0]
    assert count(s, "select count(*) from raw.opportunities") == 0


def test_a_broken_symlink_and_a_folder_link_inside_landing_are_refused(s: Settings) -> None:
    land(s, "opportunities/a.csv", csv_text(HEADER, [good_row(1)]))
    (s.landing_dir / "opportunities" / "gone.csv").symlink_to(s.landing_dir / "nowhere.csv")
    (s.landing_dir / "accounts").symlink_to(s.landing_dir / "opportunities")
    files = by_path(load_landing(s))
    assert files["opportunities/a.csv"].status == "loaded"
    assert files["opportunities/gone.csv"].status == "rejected"
    assert "broken symbolic link" in files["opportunities/gone.csv"].messages[0]
    assert files["accounts"].status == "rejected"
    assert "symbolic link to a folder" in files["accounts"].messages[0]
    assert count(s, "select count(*) from raw.accounts") == 0
    assert count(s, "select count(*) from raw._load_ledger") == 1


def test_a_symlink_inside_landing_to_a_file_inside_landing_is_followed(s: Settings) -> None:
    target = land(s, "opportunities/b01.csv", csv_text(HEADER, [good_row(1)]))
    (s.landing_dir / "opportunities" / "latest.csv").symlink_to(target)
    files = by_path(load_landing(s))
    assert files["opportunities/b01.csv"].status == "loaded"
    assert files["opportunities/latest.csv"].status == "skipped_duplicate_file"
    assert count(s, "select count(*) from raw.opportunities") == 1


# --------------------------------------------------------------------------- item 10


def _env(s: Settings) -> dict[str, str]:
    return {
        "CRM_LANDING_DIR": str(s.landing_dir),
        "CRM_QUARANTINE_DIR": str(s.quarantine_dir),
        "CRM_DUCKDB_PATH": str(s.warehouse_path),
        "CRM_PUBLISH_DIR": str(s.publish_dir),
    }


def test_load_exit_codes(s: Settings) -> None:
    runner = CliRunner()
    land(s, "opportunities/a.csv", csv_text(HEADER, [good_row(1)]))
    clean = runner.invoke(cli.app, ["load"], env=_env(s))
    assert clean.exit_code == 0, clean.output
    bad_row = good_row(2)
    bad_row[3] = "-1"
    land(s, "opportunities/b.csv", csv_text(HEADER, [good_row(3), bad_row]))
    quarantined = runner.invoke(cli.app, ["load"], env=_env(s))
    assert quarantined.exit_code == cli.EXIT_REJECTS == 3
    assert "1 row(s) quarantined" in quarantined.output
    assert "--allow-rejects" in quarantined.output
    assert count(s, "select count(*) from raw.opportunities") == 2
    land(s, "opportunities/c.txt", "x")
    rejected = runner.invoke(cli.app, ["load"], env=_env(s))
    assert rejected.exit_code == 3
    assert "1 file(s) rejected" in rejected.output
    allowed = runner.invoke(cli.app, ["load", "--allow-rejects"], env=_env(s))
    assert allowed.exit_code == 0, allowed.output


def test_refresh_exits_3_when_the_load_rejected_something(
    s: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fake_run(load_details: dict[str, Any]) -> dict[str, Any]:
        return {
            "run_id": "r1",
            "status": "ok",
            "summary": {},
            "steps": [{"name": "load", "status": "ok", "seconds": 1.0, "details": load_details}],
        }

    details = {"files_rejected": 0, "rows_quarantined": 0}
    monkeypatch.setattr(cli, "_refresh_with_progress", lambda *a, **k: fake_run(dict(details)))
    monkeypatch.setattr(cli, "print_run", lambda data: None)
    runner = CliRunner()
    assert runner.invoke(cli.app, ["refresh"], env=_env(s)).exit_code == 0
    details["rows_quarantined"] = 4
    res = runner.invoke(cli.app, ["refresh"], env=_env(s))
    assert res.exit_code == 3
    assert "4 row(s) quarantined" in res.output
    assert runner.invoke(cli.app, ["refresh", "--allow-rejects"], env=_env(s)).exit_code == 0
    details.update(files_rejected=1, rows_quarantined=0)
    assert runner.invoke(cli.app, ["refresh", "--json"], env=_env(s)).exit_code == 3


# --------------------------------------------------------------------------- item 14


@pytest.mark.parametrize("name", ["raw.duckdb", "main.duckdb", "memory.duckdb"])
def test_any_warehouse_file_name_works(tmp_path: Path, name: str) -> None:
    base = Settings.under(tmp_path)
    s = Settings(
        root=base.root,
        landing_dir=base.landing_dir,
        quarantine_dir=base.quarantine_dir,
        warehouse_path=tmp_path / "wh" / name,
        publish_dir=base.publish_dir,
    )
    bad = good_row(2)
    bad[3] = "-1"
    land(s, "opportunities/a.csv", csv_text(HEADER, [good_row(1), bad]))
    summary = load_landing(s)
    (f,) = summary.files
    assert (f.status, f.rows_loaded, f.rows_quarantined) == ("loaded", 1, 1)
    assert count(s, "select count(*) from raw.opportunities") == 1
    assert count(s, "select count(*) from raw._quarantine") == 1
    assert load_landing(s).files[0].status == "skipped_duplicate_file"
    assert os.path.exists(s.warehouse_path)
