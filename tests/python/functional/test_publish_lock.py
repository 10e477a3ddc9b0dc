"""One refresh, import or publish at a time (issue #18, items 3 and 12).

Real processes racing for the same warehouse and publish folder: the loser is
refused with a message naming the holder and exit code 75; the published file
is whole; what a killed publish left behind is removed by the next one.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest
from test_publish import assert_parquet_matches, make_fake_warehouse

import crm_warehouse
from crm_warehouse.lock import EXIT_LOCKED, read_holder, warehouse_lock, warehouse_lock_path
from crm_warehouse.serve.publish import MARTS_FILE, publish
from crm_warehouse.settings import Settings, project_root

#: Imports everything first, says "ready", waits for a line on stdin, then runs the CLI:
#: two of them released together start publishing within milliseconds of each other.
_STARTER = (
    "import sys\n"
    "from crm_warehouse import cli\n"
    "print('ready', flush=True)\n"
    "sys.stdin.readline()\n"
    "sys.argv = ['crm-warehouse', *sys.argv[1:]]\n"
    "cli.main()\n"
)


def _env(settings: Settings) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(Path(crm_warehouse.__file__).resolve().parents[1])
    env["CRM_LANDING_DIR"] = str(settings.landing_dir)
    env["CRM_QUARANTINE_DIR"] = str(settings.quarantine_dir)
    env["CRM_DUCKDB_PATH"] = str(settings.warehouse_path)
    env["CRM_PUBLISH_DIR"] = str(settings.publish_dir)
    env["COLUMNS"] = "200"
    return env


def _cli(settings: Settings, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", _STARTER, *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=_env(settings),
        cwd=project_root(),
        text=True,
    )


def _table_digests(path: Path) -> dict[str, tuple[int, int]]:
    """{schema.table: (rows, order-free hash of every row)} of a DuckDB file."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        names = con.execute(
            "select schema_name, table_name from duckdb_tables() order by 1, 2"
        ).fetchall()
        out = {}
        for schema, table in names:
            row = con.execute(
                f'select count(*), coalesce(sum(hash(t)), 0) from "{schema}"."{table}" t'
            ).fetchone()
            assert row is not None
            out[f"{schema}.{table}"] = (int(row[0]), int(row[1]))
        return out
    finally:
        con.close()


def test_two_publishes_at_once_publish_once_and_refuse_the_other(tmp_path: Path) -> None:
    settings = Settings.under(tmp_path / "wh")
    make_fake_warehouse(settings.warehouse_path)
    reference = Settings.under(tmp_path / "ref")
    from dataclasses import replace

    publish(replace(settings, publish_dir=reference.publish_dir))

    first, second = (_cli(settings, "publish") for _ in range(2))
    for p in (first, second):
        assert p.stdout is not None and p.stdout.readline().strip() == "ready"
    assert first.stdin is not None
    first.stdin.write("go\n")
    first.stdin.flush()
    # Freeze the first publish while it writes its new file (the moment the
    # second one, before the lock, deleted that file and swapped in its own).
    deadline = time.monotonic() + 60
    while not any("crm_marts.duckdb.tmp" in p.name for p in _listing(settings.publish_dir)):
        assert first.poll() is None, "the first publish ended before it could be caught"
        assert time.monotonic() < deadline, "the first publish never wrote its new file"
        time.sleep(0.005)
    first.send_signal(signal.SIGSTOP)
    try:
        out, err = second.communicate("go\n", timeout=120)
    finally:
        first.send_signal(signal.SIGCONT)
    first_out, first_err = first.communicate(timeout=120)

    assert first.returncode == 0, (first_out, first_err)
    assert second.returncode == EXIT_LOCKED, (out, err)
    message = " ".join(err.split())
    lock = warehouse_lock_path(settings.warehouse_path)
    assert f"another publish (pid {first.pid}, started at " in message, message
    assert f"holds {lock}; try again when it ends" in message, message
    assert "Traceback" not in err

    marts = settings.publish_dir / MARTS_FILE
    assert _table_digests(marts) == _table_digests(reference.publish_dir / MARTS_FILE)
    assert_parquet_matches(settings.publish_dir)
    left = sorted(p.name for p in settings.publish_dir.iterdir())
    assert left == [".publish.lock", MARTS_FILE, "manifest.json", "parquet"]


def _listing(folder: Path) -> list[Path]:
    try:
        return list(folder.iterdir())
    except FileNotFoundError:
        return []


def _wait_for_holder(lock: Path, pid: int, proc: subprocess.Popen[str], seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if read_holder(lock).get("pid") == pid:
            return
        if proc.poll() is not None:
            pytest.fail(f"the first refresh ended ({proc.returncode}) before taking the lock")
        time.sleep(0.05)
    pytest.fail(f"{lock} never named the running refresh (pid {pid})")


def test_a_second_refresh_publish_or_build_is_refused_while_a_refresh_runs(tmp_path: Path) -> None:
    settings = Settings.under(tmp_path)
    first = _cli(settings, "refresh", "--scale", "0.02", "--seed", "3")
    try:
        assert first.stdout is not None and first.stdout.readline().strip() == "ready"
        assert first.stdin is not None
        first.stdin.write("go\n")
        first.stdin.flush()
        lock = warehouse_lock_path(settings.warehouse_path)
        _wait_for_holder(lock, first.pid, first, seconds=60)

        for command in ("refresh", "publish", "build"):
            second = _cli(settings, command)
            out, err = second.communicate("go\n", timeout=120)
            assert second.returncode == EXIT_LOCKED, (command, out, err)
            message = " ".join(err.split())
            assert f"another refresh (pid {first.pid}, started at " in message, message
            assert f"holds {lock}; try again when it ends" in message, message
            assert "Traceback" not in err
        assert first.poll() is None, "the first refresh ended before the others were refused"
        assert not (settings.publish_dir / MARTS_FILE).exists()
    finally:
        first.send_signal(signal.SIGKILL)
        first.communicate(timeout=60)
    # The OS released the killed refresh's lock: no stale lock to clean by hand.
    with warehouse_lock(settings.warehouse_path, "refresh"):
        pass


def test_the_next_publish_removes_what_a_killed_publish_left(tmp_path: Path) -> None:
    settings = Settings.under(tmp_path)
    make_fake_warehouse(settings.warehouse_path)
    publish(settings)
    out = settings.publish_dir
    # What publishes killed during the Parquet export or the copy leave behind
    # (older versions' names and this version's pid-random names).
    stale_parquet = out / ".parquet.tmp-3f9c2a1b" / "sales" / "kpi_sales_monthly.parquet"
    stale_parquet.parent.mkdir(parents=True)
    stale_parquet.write_bytes(b"PAR1 half written")
    stale = [
        out / ".parquet.tmp-3f9c2a1b",
        out / ".parquet.tmp-41234-0a1b2c3d",
        out / ".parquet.old-41234-0a1b2c3d",
        out / "crm_marts.duckdb.tmp",
        out / ".crm_marts.duckdb.tmp-41234-0a1b2c3d",
        out / ".crm_marts.duckdb.tmp-41234-0a1b2c3d.wal",
        out / ".spill-41234-0a1b2c3d",
        out / ".manifest.json.tmp-41234-0a1b2c3d",
    ]
    for path in stale[1:]:
        if ".parquet" in path.name or ".spill" in path.name:
            path.mkdir()
        else:
            path.write_bytes(b"half written")
    mine = out / "notes.txt"  # not a name a publish writes: kept
    mine.write_text("mine")

    result = publish(settings)

    assert [p.name for p in stale if p.exists()] == []
    assert mine.read_text() == "mine"
    assert any(".parquet.tmp-3f9c2a1b" in w for w in result.warnings), result.warnings
    assert_parquet_matches(out)


def test_an_import_is_refused_before_fresh_empties_a_workdir_in_use(tmp_path: Path) -> None:
    workdir = tmp_path / "import"
    settings = Settings.under(workdir)
    landed = settings.landing_dir / "opportunities" / "export.csv"
    landed.parent.mkdir(parents=True)
    landed.write_text("opportunity_id\n1\n")
    holder_code = (
        "import sys\n"
        "from pathlib import Path\n"
        "from crm_warehouse.lock import warehouse_lock\n"
        "with warehouse_lock(Path(sys.argv[1]), 'refresh'):\n"
        "    print('held', flush=True)\n"
        "    sys.stdin.readline()\n"
    )
    holder = subprocess.Popen(
        [sys.executable, "-c", holder_code, str(settings.warehouse_path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        env=_env(settings),
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        mapping = project_root() / "mappings" / "maven_crm_sales_opportunities.yml"
        second = _cli(
            settings,
            "import",
            "--mapping",
            str(mapping),
            "--source",
            str(tmp_path / "export"),
            "--workdir",
            str(workdir),
            "--fresh",
        )
        out, err = second.communicate("go\n", timeout=120)
        assert second.returncode == EXIT_LOCKED, (out, err)
        message = " ".join(err.split())
        lock = warehouse_lock_path(settings.warehouse_path)
        assert f"another refresh (pid {holder.pid}, started at " in message, message
        assert f"holds {lock}; try again when it ends" in message, message
        assert landed.read_text() == "opportunity_id\n1\n"  # --fresh did not empty it
    finally:
        holder.communicate("\n", timeout=60)
    assert holder.returncode == 0


def test_fresh_empties_a_workdir_but_the_lock_file_it_holds(tmp_path: Path) -> None:
    from crm_warehouse.lock import clear_folder

    settings = Settings.under(tmp_path / "import")
    for path in (settings.landing_dir / "a" / "x.csv", settings.quarantine_dir / "y.csv"):
        path.parent.mkdir(parents=True)
        path.write_text("x\n")
    settings.warehouse_path.parent.mkdir(parents=True)
    settings.warehouse_path.write_bytes(b"db")
    with warehouse_lock(settings.warehouse_path, "import") as lock:
        clear_folder(tmp_path / "import", keep=lock)
        left = sorted(str(p.relative_to(tmp_path)) for p in (tmp_path / "import").rglob("*"))
        assert left == ["import/warehouse", "import/warehouse/crm.duckdb.lock"]
        assert read_holder(lock)["command"] == "import"


def test_a_publish_killed_during_the_parquet_export_is_cleaned_up_by_the_next(
    tmp_path: Path,
) -> None:
    settings = Settings.under(tmp_path)
    make_fake_warehouse(settings.warehouse_path)
    publish(settings)
    marts = settings.publish_dir / MARTS_FILE
    good = _table_digests(marts)

    victim = _cli(settings, "publish")
    assert victim.stdout is not None and victim.stdout.readline().strip() == "ready"
    assert victim.stdin is not None
    victim.stdin.write("go\n")
    victim.stdin.flush()
    deadline = time.monotonic() + 60
    while not any(p.name.startswith(".parquet.tmp-") for p in _listing(settings.publish_dir)):
        assert victim.poll() is None, "the publish ended before its Parquet export was caught"
        assert time.monotonic() < deadline, "the publish never started its Parquet export"
        time.sleep(0.005)
    victim.send_signal(signal.SIGKILL)
    victim.communicate(timeout=60)
    left = [p.name for p in _listing(settings.publish_dir) if ".tmp-" in p.name]
    assert any(name.startswith(".parquet.tmp-") for name in left), left
    assert _table_digests(marts) == good  # the killed publish changed nothing

    result = publish(settings)  # the OS freed the lock; the leftovers go
    assert [p.name for p in _listing(settings.publish_dir) if ".tmp-" in p.name] == []
    assert any(".parquet.tmp-" in w for w in result.warnings), result.warnings
    assert _table_digests(marts) == good
    assert_parquet_matches(settings.publish_dir)
