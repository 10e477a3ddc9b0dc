"""Loose ends of issue #18: `import` exits 3 on rejects like `load`/`refresh`;
`load` and `dashboard` take the OS locks refresh and publish take; a landed
file that grows after it was loaded; open-ended dates (9999-12-31) on end-date
columns load as null instead of being quarantined."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import duckdb
import pytest
from test_load import HEADER, csv_text, good_row, land
from test_load_robustness import _env, count
from typer.testing import CliRunner

import crm_warehouse
import crm_warehouse.imports.importer as importer
import crm_warehouse.ingest.load as load_mod
from crm_warehouse import cli
from crm_warehouse.ingest.contract import load_contract
from crm_warehouse.lock import EXIT_LOCKED, publish_lock_path, warehouse_lock_path
from crm_warehouse.settings import Settings


@pytest.fixture
def s(tmp_path: Path) -> Settings:
    return Settings.under(tmp_path)


def _run(load_details: dict[str, Any]) -> dict[str, Any]:
    return {
        "run_id": "r1",
        "status": "ok",
        "summary": {},
        "steps": [{"name": "load", "status": "ok", "seconds": 1.0, "details": load_details}],
    }


def test_import_exits_3_when_the_load_rejected_something(
    s: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    details = {"files_rejected": 0, "rows_quarantined": 0}
    imported = SimpleNamespace(warnings=[], notes=[], entities={})
    monkeypatch.setattr(importer, "import_export", lambda *a, **k: imported)
    monkeypatch.setattr(cli, "_refresh_with_progress", lambda *a, **k: _run(dict(details)))
    monkeypatch.setattr(cli, "print_run", lambda data: None)
    args = ["import", "--mapping", str(tmp_path / "m.yml"), "--source", str(tmp_path)]
    args += ["--workdir", str(tmp_path / "wd")]
    runner = CliRunner()
    clean = runner.invoke(cli.app, args, env=_env(s))
    assert clean.exit_code == 0, clean.output
    details["rows_quarantined"] = 2
    res = runner.invoke(cli.app, args, env=_env(s))
    assert res.exit_code == cli.EXIT_REJECTS == 3, res.output
    flat = " ".join(res.output.split())
    assert "2 row(s) quarantined: see quarantine/" in flat and "--allow-rejects" in flat
    details.update(files_rejected=1, rows_quarantined=0)
    assert runner.invoke(cli.app, args, env=_env(s)).exit_code == 3
    allowed = runner.invoke(cli.app, [*args, "--allow-rejects"], env=_env(s))
    assert allowed.exit_code == 0, allowed.output
    assert "1 file(s) rejected (accepted: --allow-rejects)" in " ".join(allowed.output.split())


# --------------------------------------------------------------------------- locks

_HOLDER = (
    "import sys\n"
    "from pathlib import Path\n"
    "from crm_warehouse.lock import exclusive\n"
    "with exclusive(Path(sys.argv[1]), sys.argv[2]):\n"
    "    print('held', flush=True)\n"
    "    sys.stdin.readline()\n"
)


def _subprocess_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(Path(crm_warehouse.__file__).resolve().parents[1])
    return env


@contextmanager
def _held_by_another_process(lock: Path, command: str) -> Iterator[int]:
    """Another process holds the OS lock at `lock` for the block; yields its pid."""
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLDER, str(lock), command],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        env=_subprocess_env(),
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        yield holder.pid
    finally:
        holder.communicate("\n", timeout=60)
    assert holder.returncode == 0


def test_a_load_is_refused_while_another_job_holds_the_warehouse(s: Settings) -> None:
    land(s, "opportunities/a.csv", csv_text(HEADER, [good_row(1), good_row(2)]))
    lock = warehouse_lock_path(s.warehouse_path)
    with _held_by_another_process(lock, "load") as pid:
        res = CliRunner().invoke(cli.app, ["load"], env=_env(s))
        assert res.exit_code == EXIT_LOCKED == 75, res.output
        flat = " ".join(res.output.split())
        assert f"another load (pid {pid}, started at " in flat, flat
        assert f"holds {lock}; try again when it ends" in flat, flat
        assert not s.warehouse_path.exists()  # nothing was loaded
    res = CliRunner().invoke(cli.app, ["load"], env=_env(s))
    assert res.exit_code == 0, res.output
    assert count(s, "select count(*) from raw.opportunities") == 2


def _empty_marts(s: Settings) -> Path:
    from crm_warehouse.serve.publish import MARTS_FILE

    marts = s.publish_dir / MARTS_FILE
    marts.parent.mkdir(parents=True, exist_ok=True)
    duckdb.connect(str(marts)).close()
    return marts


def test_a_dashboard_is_refused_while_a_publish_holds_the_folder(s: Settings) -> None:
    _empty_marts(s)
    page = s.publish_dir / "dashboard.html"
    page.write_text("the last good page")
    stale = [
        s.publish_dir / ".dashboard.html.tmp-999-0badf00d",
        s.publish_dir / "dashboard.html.tmp",
    ]
    for path in stale:
        path.write_text("half a page")
    lock = publish_lock_path(s.publish_dir)
    with _held_by_another_process(lock, "publish") as pid:
        res = CliRunner().invoke(cli.app, ["dashboard"], env=_env(s))
        assert res.exit_code == EXIT_LOCKED, res.output
        flat = " ".join(res.output.split())
        assert f"another publish (pid {pid}, started at " in flat, flat
        assert f"holds {lock}; try again when it ends" in flat, flat
        assert page.read_text() == "the last good page"
    res = CliRunner().invoke(cli.app, ["dashboard"], env=_env(s))
    assert res.exit_code == 0, res.output
    assert page.read_text().rstrip().endswith("</html>")
    assert [p.name for p in stale if p.exists()] == []  # a killed dashboard's leftovers


_DRAWER = (
    "import sys, time\n"
    "from pathlib import Path\n"
    "from crm_warehouse.lock import LockBusy\n"
    "from crm_warehouse.serve.dashboard import write_dashboard\n"
    "marts, out = Path(sys.argv[1]), Path(sys.argv[2])\n"
    "drawn = refused = 0\n"
    "while drawn < 6:\n"
    "    try:\n"
    "        write_dashboard(marts, out, kpis=(), charts=())\n"
    "        drawn += 1\n"
    "    except LockBusy:\n"
    "        refused += 1\n"
    "        time.sleep(0.01)\n"
    "print(drawn, refused)\n"
)


def test_two_dashboards_at_once_never_show_half_a_page(s: Settings) -> None:
    marts = _empty_marts(s)
    page = s.publish_dir / "dashboard.html"
    drawers = [
        subprocess.Popen(
            [sys.executable, "-c", _DRAWER, str(marts), str(page)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=_subprocess_env(),
            text=True,
        )
        for _ in range(2)
    ]
    reads = 0
    while any(d.poll() is None for d in drawers):
        if page.exists():
            text = page.read_text(encoding="utf-8")
            assert text.rstrip().endswith("</html>"), f"half a page: {len(text)} chars"
            reads += 1
        time.sleep(0.005)
    for d in drawers:
        out, err = d.communicate(timeout=60)
        assert d.returncode == 0, err
        assert out.split()[0] == "6", out
    assert reads > 0
    assert page.read_text(encoding="utf-8").rstrip().endswith("</html>")
    assert sorted(p.name for p in s.publish_dir.iterdir()) == [
        ".publish.lock",
        "crm_marts.duckdb",
        "dashboard.html",
    ]


# --------------------------------------------------------------------------- open ends

REPS = "rep_id,rep_name,hired_date,left_date,updated_at"


def test_open_end_dates_on_an_end_date_column_load_as_null(s: Settings) -> None:
    rel = "reps/reps.csv"
    land(
        s,
        rel,
        "\n".join(
            [
                REPS,
                "R1,Ann,2020-01-01,9999-12-31,2024-03-01T00:00:00Z",  # still employed
                "R2,Bob,2020-01-01,2999-12-31,2024-03-01T00:00:00Z",  # still employed
                "R3,Cy,2020-01-01,2023-06-30,2024-03-01T00:00:00Z",  # left
                "R4,Di,2020-01-01,,2024-03-01T00:00:00Z",  # still employed, no value
                "R5,Ed,2020-01-01,9999-12-30,2024-03-01T00:00:00Z",  # not the sentinel
                "R6,Fay,9999-12-31,2023-01-01,2024-03-01T00:00:00Z",  # not an end date
            ]
        )
        + "\n",
    )
    res = CliRunner().invoke(cli.app, ["load"], env=_env(s))
    assert res.exit_code == 3, res.output  # R5 and R6 are quarantined, not R1, R2
    flat = " ".join(res.output.split())
    assert (
        f"{rel}: 2 value(s) of column left_date held an open-end date (9999-12-31 or"
        " 2999-12-31) and loaded as null (no end)"
    ) in flat, flat
    assert f"{rel}: row 5, column left_date: value '9999-12-30' is outside" in flat
    assert f"{rel}: row 6, column hired_date: value '9999-12-31' is outside" in flat
    assert "rows landed 6, rows loaded 4, rows quarantined 2" in flat
    with duckdb.connect(str(s.warehouse_path), read_only=True) as con:
        loaded = con.execute("select rep_id, left_date from raw.reps order by 1").fetchall()
        audit = con.execute(
            "select check_name, column_name, row_count from raw._load_audit"
            " where check_name = 'open_end_as_null'"
        ).fetchall()
    assert [(r, str(d) if d else None) for r, d in loaded] == [
        ("R1", None),
        ("R2", None),
        ("R3", "2023-06-30"),
        ("R4", None),
    ]
    assert audit == [("open_end_as_null", "left_date", 2)]


def test_open_end_is_a_contract_flag_of_optional_dates_only() -> None:
    from crm_warehouse.ingest.contract import load_contract, parse_contract

    flagged = {(t.name, c.name) for t in load_contract().tables for c in t.columns if c.open_end}
    assert flagged == {("reps", "left_date"), ("campaigns", "end_date")}
    bad = """
sources:
  - name: crm
    tables:
      - name: contracts
        config: {meta: {primary_key: contract_id}}
        columns:
          - name: contract_id
            data_type: varchar
          - name: end_date
            data_type: date
            config: {meta: {required: true, open_end: true}}
"""
    with pytest.raises(ValueError, match="column end_date has open_end but is not an optional"):
        parse_contract(bad)


# --------------------------------------------------------------------------- grown files


def test_a_file_grown_after_it_loaded_is_rejected_not_loaded_twice(s: Settings) -> None:
    rel = "opportunities/export.csv"
    path = land(s, rel, csv_text(HEADER, [good_row(1), good_row(2)]))
    runner = CliRunner()
    assert runner.invoke(cli.app, ["load"], env=_env(s)).exit_code == 0
    was = path.stat().st_size
    with path.open("a", encoding="utf-8") as fh:  # the export appends two rows
        fh.write(csv_text(HEADER, [good_row(3), good_row(4)]).split("\n", 1)[1])
    res = runner.invoke(cli.app, ["load"], env=_env(s))
    assert res.exit_code == 3, res.output
    flat = " ".join(res.output.split())
    assert (
        f"{rel}: file rejected: the file grew since it was loaded on " in flat
        and f"({was:,} bytes and 2 rows then, {path.stat().st_size:,} bytes now): loading it"
        " again would load those rows twice"
        in flat
        and "Land the appended rows as a new file (with the header)" in flat
    ), flat
    assert "1 file(s) rejected" in flat
    ledger = "select table_name from raw._load_ledger where status = 'rejected'"
    assert count(s, ledger) == "opportunities"  # counted in dq_load_summary
    ids = "select list(opportunity_id order by opportunity_id) from raw.opportunities"
    assert count(s, ids) == ["O1", "O2"]  # nothing twice, nothing half
    again = runner.invoke(cli.app, ["load"], env=_env(s))
    assert again.exit_code == 0, again.output
    assert "with status rejected: the file grew" in " ".join(again.output.split())
    # as told: the appended rows land as a file of their own
    path.unlink()
    land(s, "opportunities/export_part2.csv", csv_text(HEADER, [good_row(3), good_row(4)]))
    done = runner.invoke(cli.app, ["load"], env=_env(s))
    assert done.exit_code == 0, done.output
    assert "rows landed 2, rows loaded 2, rows quarantined 0" in " ".join(done.output.split())
    assert count(s, ids) == ["O1", "O2", "O3", "O4"]


def test_a_file_replaced_at_the_same_path_still_loads(s: Settings) -> None:
    """A nightly full export overwriting its file is not a grown file."""
    rel = "opportunities/export.csv"
    land(s, rel, csv_text(HEADER, [good_row(1), good_row(2)]))
    runner = CliRunner()
    assert runner.invoke(cli.app, ["load"], env=_env(s)).exit_code == 0
    newer = good_row(1)
    newer[2] = "Qualification"
    land(s, rel, csv_text(HEADER, [newer, good_row(2), good_row(3)]))
    res = runner.invoke(cli.app, ["load"], env=_env(s))
    assert res.exit_code == 0, res.output
    assert "rows landed 3, rows loaded 3" in " ".join(res.output.split())


def test_an_open_ended_contract_is_quarantined_with_a_reason_that_says_so(s: Settings) -> None:
    """contracts.end_date stays required, without open_end: the contract models
    read a null end as "never in force" (fct_contracts.in_force_end_date null,
    dropped from retention spans; no end month for renewals), so loading
    9999-12-31 as null would count an open-ended customer as churned. The row
    is quarantined, and the reason names the open-end date and what to do."""
    rel = "contracts/contracts.csv"
    land(
        s,
        rel,
        "contract_id,account_id,status,start_date,end_date,updated_at\n"
        "K1,A1,active,2023-01-01,9999-12-31,2024-03-01T00:00:00Z\n"  # open-ended
        "K2,A2,active,2023-01-01,2024-12-31,2024-03-01T00:00:00Z\n"
        "K3,A3,active,2023-01-01,2999-12-31,2024-03-01T00:00:00Z\n",
    )
    res = CliRunner().invoke(cli.app, ["load"], env=_env(s))
    assert res.exit_code == 3, res.output
    flat = " ".join(res.output.split())
    for row, value in ((1, "9999-12-31"), (3, "2999-12-31")):
        assert (
            f"{rel}: row {row}, column end_date: value '{value}' is outside the accepted date"
            " window"
        ) in flat, flat
    assert (
        '9999-12-31 is the date exports write for "no end": column end_date is required and'
        " does not take it; export the real last day (row quarantined)"
    ) in flat, flat
    assert "rows landed 3, rows loaded 1, rows quarantined 2" in flat
    assert count(s, "select list(contract_id) from raw.contracts") == ["K2"]
    reasons = "select list(reason order by source_row) from raw._quarantine"
    assert all('exports write for "no end"' in r for r in count(s, reasons))
    column = load_contract().table("contracts").column("end_date")
    assert column.required and not column.open_end


# --------------------------------------------------------------------------- changing files


@pytest.mark.parametrize("step", ["file_stat", "file_sha256", "inspect_file", "_process_chunk"])
def test_a_file_renamed_while_it_grows_and_loads_is_skipped_as_changing(
    s: Settings, monkeypatch: pytest.MonkeyPatch, step: str
) -> None:
    """The exporter appends rows and renames its file (a. to its final name)
    at any step of the file's load: before its hash, before its inspection,
    before or during its read. Nothing of it loads, no traceback, the other
    files load; the next load loads the renamed file once."""
    monkeypatch.setattr(load_mod, "CHUNK_ROWS", 2)  # a 2-row file streams only from _process_chunk
    first = [good_row(i) for i in range(1, 6 if step == "_process_chunk" else 3)]
    path = land(s, "opportunities/a_export.csv", csv_text(HEADER, first))
    land(s, "opportunities/b_other.csv", csv_text(HEADER, [good_row(50)]))
    more = csv_text(HEADER, [good_row(10), good_row(11)]).split("\n", 1)[1]
    real = getattr(load_mod, step)

    def step_then_grow_and_rename(*args: Any, **kwargs: Any) -> Any:
        out = real(*args, **kwargs)
        if path.exists():
            with path.open("a", encoding="utf-8") as fh:
                fh.write(more)
            path.rename(path.with_name("a_export_final.csv"))
        return out

    monkeypatch.setattr(load_mod, step, step_then_grow_and_rename)
    res = CliRunner().invoke(cli.app, ["load"], env=_env(s))
    assert res.exception is None or isinstance(res.exception, SystemExit), res.output
    assert res.exit_code == 0, res.output  # a changing file is not a reject
    flat = " ".join(res.output.split())
    assert (
        "opportunities/a_export.csv: skipped: the file changed while it was loading (it was"
        " renamed or removed); nothing of it was loaded."
    ) in flat, flat
    assert count(s, "select list(opportunity_id) from raw.opportunities") == ["O50"]
    assert (
        count(s, "select count(*) from raw._load_ledger where source_file like '%a_export%'") == 0
    )
    monkeypatch.setattr(load_mod, step, real)
    res = CliRunner().invoke(cli.app, ["load"], env=_env(s))
    assert res.exit_code == 0, res.output
    rows = len(first) + 3  # every row once: the first ones, the two appended, O50
    assert count(s, "select count(*) from raw.opportunities") == rows
    assert count(s, "select count(distinct opportunity_id) from raw.opportunities") == rows
