"""A refresh killed with SIGKILL in each phase, then the next one (issue #18, item 3/12).

One warm copy of the demo warehouse is refreshed by real `crm-warehouse refresh`
processes, each killed in one phase: load, dbt build, publish (copying the
marts), the Parquet export, the docs. The phase is not guessed with sleeps: the
child process (the real CLI) has a hook in that phase that says "in <phase>"
and then waits for ever, holding whatever the phase had open and half written;
the test sees the line and sends SIGKILL. After every kill the published marts
file opens read-only and equals the last good publish; every next refresh gets
past the phase the previous one died in (the lock the OS freed, a warehouse
left mid-write); the last one exits 0, publishes and leaves no temporary file.

For speed the children build only a few models (`dbt build --select`, added
by the hook too) and skip `dbt source freshness`: the code paths of the kill
and the recovery are the real ones.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

import crm_warehouse
from crm_warehouse.lock import exclusive, warehouse_lock_path
from crm_warehouse.serve.publish import MARTS_FILE
from crm_warehouse.settings import Settings, project_root

#: Models the children build (small tables whose parents the warm copy has).
BUILD_ONLY = ("dim_products", "dim_partners")

#: The child: hooks the phase named in CRASH_AT, narrows the build, runs the CLI.
_CHILD = """
import os, shutil, sys, threading
from crm_warehouse import build, cli
from crm_warehouse.ingest import load
from crm_warehouse.serve import publish as pub

at = os.environ.get("CRASH_AT", "")
only = sys.argv[1:]

def hold(phase):
    print("in " + phase, flush=True)
    threading.Event().wait()

def after(owner, name, phase, when=lambda *a, **k: True):
    original = getattr(owner, name)
    def hooked(*args, **kwargs):
        result = original(*args, **kwargs)
        if at == phase and when(*args, **kwargs):
            hold(phase)
        return result
    setattr(owner, name, hooked)

dbt_build = build.dbt_build
def narrow(settings, extra_args=None, on_node=None):
    def node(result):
        if on_node:
            on_node(result)
        if at == "build":
            hold("build")
    return dbt_build(settings, ["--select", *only], node)
build.dbt_build = narrow
# after the first landed file is loaded and committed, the warehouse still open
after(load._Loader, "_load_group", "load", lambda self, group: bool(group))
# in the middle of copying the marts into the new file
copied = []
after(pub, "_copy_table", "publish", lambda *a: copied.append(1) or len(copied) == 3)
# after the first Parquet file is written and counted
after(pub, "_count", "parquet", lambda con, rel: rel.startswith("read_parquet"))
# after the docs page is copied into the new docs folder
after(shutil, "copy2", "docs", lambda src, dst, *a, **k: ".docs.tmp-" in str(dst))
sys.argv = ["crm-warehouse", "refresh"]
cli.main()
"""

PHASES = ("load", "build", "publish", "parquet", "docs")

#: The temporary names a refresh killed in each phase leaves in the publish folder.
LEFT_BY = {
    "load": [],
    "build": [],
    "publish": [".crm_marts.duckdb.tmp"],
    "parquet": [".crm_marts.duckdb.tmp", ".parquet.tmp"],
    "docs": [".docs.tmp"],
}


def _run(settings: Settings, phase: str = "") -> subprocess.Popen[str]:
    env = dict(os.environ)
    env.update(
        PYTHONPATH=str(Path(crm_warehouse.__file__).resolve().parents[1]),
        CRM_LANDING_DIR=str(settings.landing_dir),
        CRM_QUARANTINE_DIR=str(settings.quarantine_dir),
        CRM_DUCKDB_PATH=str(settings.warehouse_path),
        CRM_PUBLISH_DIR=str(settings.publish_dir),
        CRM_SKIP_FRESHNESS="1",
        CRASH_AT=phase,
        COLUMNS="200",
    )
    return subprocess.Popen(
        [sys.executable, "-c", _CHILD, *BUILD_ONLY],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        cwd=project_root(),
        text=True,
    )


def _kill_in(settings: Settings, phase: str) -> None:
    """Run a refresh until it is inside `phase`, then SIGKILL it."""
    child = _run(settings, phase)
    assert child.stdout is not None
    try:
        seen = []
        for line in child.stdout:  # blocks until the hook speaks or the refresh ends
            if line.strip() == f"in {phase}":
                break
            seen.append(line)
        else:
            child.wait(timeout=60)
            pytest.fail(f"the refresh never got {phase} ({child.returncode}):\n{''.join(seen)}")
    finally:
        child.send_signal(signal.SIGKILL)
    child.communicate(timeout=60)
    assert child.returncode == -signal.SIGKILL


def _digests(path: Path, skip_schema: str = "") -> dict[str, tuple[int, int]]:
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


def _marts_only(digests: dict[str, tuple[int, int]]) -> dict[str, tuple[int, int]]:
    return {k: v for k, v in digests.items() if not k.startswith("ops.")}


def _leftovers(folder: Path) -> list[str]:
    marks = (".tmp", ".old-", ".spill-")
    return sorted(
        str(p.relative_to(folder)) for p in folder.rglob("*") if any(m in p.name for m in marks)
    )


def _warm_copy(demo: Settings, base: Path) -> Settings:
    """The demo warehouse (file, dbt target/), landing and publish folder under `base`,
    with one landed file again with other line endings: new bytes for the load."""
    settings = Settings.under(base)
    for src, dst in (
        (demo.landing_dir, settings.landing_dir),
        (demo.warehouse_path.parent, settings.warehouse_path.parent),
        (demo.publish_dir, settings.publish_dir),
    ):
        shutil.copytree(src, dst, ignore=shutil.ignore_patterns("*.lock", "*.tmp*"))
    landed = sorted((settings.landing_dir / "campaigns").glob("*.csv"))[0]
    text = landed.read_text().replace("\r\n", "\n").replace("\n", "\r\n")
    landed.with_name("zz_again_crlf.csv").write_bytes(text.encode())
    return settings


@pytest.mark.slow
@pytest.mark.xdist_group("warehouse")
def test_a_refresh_killed_in_each_phase_leaves_the_publish_whole_and_the_next_recovers(
    demo_warehouse, tmp_path: Path
) -> None:
    settings = _warm_copy(demo_warehouse.settings, tmp_path / "warm")
    marts = settings.publish_dir / MARTS_FILE
    good = _digests(marts)

    for phase in PHASES:
        t0 = time.monotonic()
        _kill_in(settings, phase)
        print(f"killed in {phase} after {time.monotonic() - t0:.1f}s")
        # each refresh got past where the previous one died: the lock was freed
        # and the warehouse left mid-write opens again
        if phase == "docs":  # after the swap: this run's publish is the last good one
            assert _digests(marts, skip_schema="ops") == _marts_only(good)
        else:
            assert _digests(marts) == good, f"killed in {phase}: the published file changed"
        with exclusive(warehouse_lock_path(settings.warehouse_path), "check"):
            pass
        # what a killed publish, Parquet export or docs left (the next refresh removes it)
        left = [n for n in _leftovers(settings.publish_dir) if "/" not in n]
        assert sorted({n.split("-")[0] for n in left}) == LEFT_BY[phase], (phase, left)

    last = _run(settings)
    out, err = last.communicate(timeout=300)
    assert last.returncode == 0, (out, err)
    assert "Refresh " in out and ": ok" in out, out
    assert "Traceback" not in err, err
    assert _leftovers(settings.publish_dir) == []
    assert sorted(p.name for p in settings.warehouse_path.parent.iterdir() if p.is_file()) == [
        "crm.duckdb",
        "crm.duckdb.lock",
    ]
    # republished from the same marts: equal but for the run log of the new run
    assert _digests(marts, skip_schema="ops") == _marts_only(good)
    assert (settings.publish_dir / "docs" / "index.html").is_file()
    parquet = list((settings.publish_dir / "parquet").rglob("*.parquet"))
    assert len(parquet) == len(_digests(marts))
