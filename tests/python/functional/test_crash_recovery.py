"""A refresh killed with SIGKILL in each phase, then the next one (issue #18, items 3 and 12).

Real `crm-warehouse refresh` processes (crash_child.py) run on the demo
warehouse of the test session, one after the other, each killed in one phase:
load, dbt build, publish (copying the marts), the Parquet export, the docs. The
phase is not guessed with sleeps: the child says "in <phase>" from inside it
and waits; the test then sends SIGKILL. After every kill the published marts
file opens read-only and equals the last good publish, the Parquet folder and
manifest in place are the ones that go with it, and the lock is free; every
next refresh gets past the phase the previous one died in (the lock the OS
freed, a warehouse left mid-write, a publish folder full of temporary names);
the last one exits 0, republishes and leaves no temporary file.

Cost: the children work on the demo warehouse's own paths (its folders moved
aside and copied back for the test, then put back), so dbt reuses the
session's parsed project instead of parsing it again; only the refresh killed
in the build runs the whole `dbt build` (killed at its first node), those
killed after the build skip it and the last one builds one small model (see
crash_child.py). About 35 CPU seconds in all.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pytest
from test_publish import assert_parquet_matches

import crm_warehouse
from crm_warehouse.lock import exclusive, publish_lock_path, warehouse_lock_path
from crm_warehouse.serve.publish import MANIFEST_FILE, MARTS_FILE
from crm_warehouse.settings import Settings, project_root

CHILD = Path(__file__).with_name("crash_child.py")

PHASES = ("load", "build", "publish", "parquet", "docs")

#: The temporary names (before their pid-random part) in the publish folder
#: after a refresh killed in each phase: the next publish removes them. A
#: publish that starts from the previous one (after a selective build) links
#: the Parquet files into its new folder first: killed while copying the marts
#: it leaves that folder too.
LEFT_BY = {
    "load": [],
    "build": [],
    "publish": [".crm_marts.duckdb.tmp"],
    "parquet": [".crm_marts.duckdb.tmp", ".parquet.tmp"],
    "docs": [".docs.tmp"],
}
LEFT_BY_PUBLISH_FROM_PREVIOUS = [".crm_marts.duckdb.tmp", ".parquet.tmp"]

Digests = dict[str, tuple[int, int]]


#: Longest a refresh may take to reach its kill point or its end (seconds).
TIMEOUT = 600


def _run(settings: Settings, phase: str, stderr: Path) -> subprocess.Popen[str]:
    """Start a refresh (crash_child.py) on `settings`, its stderr into the file `stderr`."""
    env = dict(os.environ)
    env.update(
        PYTHONPATH=str(Path(crm_warehouse.__file__).resolve().parents[1]),
        CRM_LANDING_DIR=str(settings.landing_dir),
        CRM_QUARANTINE_DIR=str(settings.quarantine_dir),
        CRM_DUCKDB_PATH=str(settings.warehouse_path),
        CRM_PUBLISH_DIR=str(settings.publish_dir),
        CRM_SKIP_FRESHNESS="1",
        COLUMNS="200",
    )
    if phase in ("load", "build", ""):
        # a real build, killed at its first node: one thread builds nothing else.
        # The other phases skip the build and keep the thread count the demo was
        # built with, so their plan is the selective one a nightly refresh makes.
        env["CRM_DBT_THREADS"] = "1"
    with stderr.open("w") as err:  # a file, not a pipe nobody reads that could fill up
        return subprocess.Popen(
            [sys.executable, str(CHILD), phase],
            stdout=subprocess.PIPE,
            stderr=err,
            env=env,
            cwd=project_root(),
            text=True,
        )


def _kill_in(settings: Settings, phase: str, logs: Path) -> list[str]:
    """Run a refresh until it is inside `phase`, then SIGKILL it; returns the
    lines it printed before."""
    stderr = logs / f"{phase}.stderr"
    child = _run(settings, phase, stderr)
    assert child.stdout is not None
    # a refresh that never gets there is killed too, and the loop below ends
    watchdog = threading.Timer(TIMEOUT, child.kill)
    watchdog.start()
    try:
        seen = []
        for line in child.stdout:  # blocks until the hook speaks or the refresh ends
            if line.strip() == f"in {phase}":
                break
            seen.append(line)
        else:
            child.wait(timeout=60)
            pytest.fail(
                f"the refresh never got {phase} (exit {child.returncode}, "
                f"{TIMEOUT} s at most):\n{''.join(seen)}\n{stderr.read_text()}"
            )
    finally:
        watchdog.cancel()
        child.send_signal(signal.SIGKILL)
        child.communicate(timeout=60)
    assert child.returncode == -signal.SIGKILL
    return seen


def _digests(path: Path, skip_schema: str = "") -> Digests:
    """{schema.table: (rows, order-free hash of every row)}, the file opened read-only."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        names = con.execute(
            "select schema_name, table_name from duckdb_tables() order by 1, 2"
        ).fetchall()
        out = {}
        for schema, table in names:
            if schema == skip_schema:
                continue
            row = con.execute(
                f'select count(*), coalesce(sum(hash(t)), 0) from "{schema}"."{table}" t'
            ).fetchone()
            assert row is not None
            out[f"{schema}.{table}"] = (int(row[0]), int(row[1]))
        return out
    finally:
        con.close()


def _marts_only(digests: Digests) -> Digests:
    return {k: v for k, v in digests.items() if not k.startswith("ops.")}


def _leftovers(folder: Path) -> list[str]:
    marks = (".tmp", ".old-", ".spill-")
    return sorted(
        str(p.relative_to(folder)) for p in folder.rglob("*") if any(m in p.name for m in marks)
    )


def _files(settings: Settings) -> dict[str, str]:
    """{path: sha256} of the manifest and every Parquet file: what a BI tool
    reads beside the marts file."""
    folder = settings.publish_dir
    paths = [folder / MANIFEST_FILE, *sorted((folder / "parquet").rglob("*"))]
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in paths
        if p.is_file()
    }


def _assert_published_whole(
    settings: Settings, good: Digests, good_files: dict[str, str], phase: str
) -> None:
    """What a BI tool reads sits whole under its final names: before the swap
    (killed in load, build, publish or the Parquet export) the marts file,
    manifest and Parquet files of the last good publish, unchanged; after it
    (killed in the docs) this run's, with the same marts, whose manifest and
    Parquet files count the rows of the marts file."""
    marts = settings.publish_dir / MARTS_FILE
    now = _digests(marts)
    if phase != "docs":
        assert now == good, f"killed in {phase}: the published file changed"
        assert _files(settings) == good_files, f"killed in {phase}: manifest or Parquet changed"
        return
    assert _marts_only(now) == _marts_only(good), "killed in docs: other marts published"
    manifest = json.loads((settings.publish_dir / MANIFEST_FILE).read_text())
    listed = {f"{t['schema']}.{t['table']}": t["rows"] for t in manifest["tables"]}
    assert listed == {name: rows for name, (rows, _) in now.items()}
    parquet = settings.publish_dir / "parquet"
    con = duckdb.connect()
    try:
        counts = {
            f"{p.parent.name}.{p.stem}": con.execute(
                "select count(*) from read_parquet(?)", [str(p)]
            ).fetchone()[0]
            for p in parquet.rglob("*.parquet")
        }
    finally:
        con.close()
    assert counts == listed


@contextmanager
def _in_place_copy(demo: Settings, backup: Path) -> Iterator[Settings]:
    """The demo warehouse's folders moved to `backup` and copied back to where
    they were, for the test to damage; the originals put back afterwards
    (`backup` must be on the same file system).

    Same paths, so the children's dbt reuses the parsed project of the session
    (dbt parses again when the warehouse path in the profile changes). Only the
    tests of the "warehouse" xdist group use the demo warehouse, one at a time."""
    folders = [demo.landing_dir, demo.quarantine_dir, demo.warehouse_path.parent, demo.publish_dir]
    moved: list[tuple[Path, Path | None]] = []
    try:
        for folder in folders:
            if not folder.exists():  # e.g. no quarantine: removed afterwards
                moved.append((folder, None))
                continue
            aside = backup / folder.name
            os.replace(folder, aside)
            moved.append((folder, aside))
            shutil.copytree(aside, folder, symlinks=True)
        yield demo
    finally:
        for folder, aside in moved:
            # the used copy stays under `backup` (pytest removes it with its
            # other temporary folders): deleting it here costs seconds of I/O
            if folder.exists():
                os.replace(folder, backup / f"{folder.name}.used")
            if aside is not None:
                os.replace(aside, folder)


@pytest.mark.slow
@pytest.mark.xdist_group("warehouse")
def test_a_refresh_killed_in_each_phase_leaves_the_publish_whole_and_the_next_recovers(
    demo_warehouse, tmp_path: Path
) -> None:
    with _in_place_copy(demo_warehouse.settings, tmp_path) as settings:
        # new bytes for the load to commit: a landed file again, other line endings
        landed = sorted((settings.landing_dir / "campaigns").glob("*.csv"))[0]
        text = landed.read_text().replace("\r\n", "\n").replace("\n", "\r\n")
        landed.with_name("zz_again_crlf.csv").write_bytes(text.encode())
        marts = settings.publish_dir / MARTS_FILE
        good, good_files = _digests(marts), _files(settings)

        for phase in PHASES:
            t0 = time.monotonic()
            said = [line.strip() for line in _kill_in(settings, phase, tmp_path)]
            print(f"killed in {phase} after {time.monotonic() - t0:.1f}s")
            _assert_published_whole(settings, good, good_files, phase)
            # the OS freed the killed refresh's locks
            with (
                exclusive(warehouse_lock_path(settings.warehouse_path), "check"),
                exclusive(publish_lock_path(settings.publish_dir), "check"),
            ):
                pass
            # what a killed publish, Parquet export or docs left (the next refresh removes it)
            left = [n for n in _leftovers(settings.publish_dir) if "/" not in n]
            expected = LEFT_BY[phase]
            if phase == "publish" and "publish from previous" in said:
                expected = LEFT_BY_PUBLISH_FROM_PREVIOUS
            assert sorted({n.split("-")[0] for n in left}) == expected, (phase, left, said)

        t0 = time.monotonic()
        last = _run(settings, "", tmp_path / "last.stderr")
        try:
            out, _ = last.communicate(timeout=TIMEOUT)
        finally:
            last.kill()  # when it timed out (a no-op once it ended)
            last.wait()
        err = (tmp_path / "last.stderr").read_text()
        print(f"recovered after {time.monotonic() - t0:.1f}s")
        assert last.returncode == 0, (out, err)
        assert "Refresh " in out and ": ok" in out, out
        assert "Traceback" not in err, err
        for folder in (settings.publish_dir, settings.quarantine_dir, settings.landing_dir):
            assert _leftovers(folder) == [], folder
        assert sorted(p.name for p in settings.warehouse_path.parent.iterdir() if p.is_file()) == [
            "crm.duckdb",
            "crm.duckdb.lock",
        ]
        # republished from the same marts: equal but for the run log of the new run
        _assert_published_whole(settings, good, good_files, "docs")
        assert_parquet_matches(settings.publish_dir)
        ops = _digests(marts)["ops.refresh_runs"][0]
        assert ops == good["ops.refresh_runs"][0] + 1, "the recovery's run is not in the run log"
        assert (settings.publish_dir / "docs" / "index.html").is_file()
