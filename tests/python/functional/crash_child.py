"""A `crm-warehouse refresh` that stops in one phase for a SIGKILL, for
tests/python/functional/test_crash_recovery.py.

    python crash_child.py PHASE   # load, build, publish, parquet or docs; "" runs to the end

The refresh is the CLI's own (`crm_warehouse.cli.main()` with argv `refresh`);
this script only wraps a few of the functions it calls. In the phase named it
prints "in PHASE" once the phase has written something, then waits for ever,
holding what it has open and half written: the test reads the line and sends
SIGKILL. The kill points, none of them timed:

- load: the first table's new files committed, the warehouse still open;
- build: the first node of the real, whole `dbt build` finished (run with one
  dbt thread, so nothing else is built before the kill);
- publish: three tables copied into the new marts file, its transaction open;
- parquet: the first Parquet file of the new folder written and counted;
- docs: index.html copied into the new docs folder.

Before the publish it prints "publish from previous" (a selective build's
publish, starting from a copy of the published file and links to its Parquet
files) or "publish every table".

The refresh to die in the docs runs with --full-refresh (after a selective
build the docs of the last run are kept, not generated again); the others
build what changed, as a nightly refresh does.

A refresh to die in the load or the build runs the real, whole `dbt build`
(it never gets past its first node); one to die in the publish, the Parquet
export or the docs skips the build and the saved queries' tables (the metrics
step; a green build with nothing to do: the phases after them are what it is
there for); the refresh that runs to the end builds NARROW (one small model and
its tests) through the real `dbt_build` and runs the metrics step.
"""

from __future__ import annotations

import shutil
import sys
import threading
from collections.abc import Callable
from typing import Any

from crm_warehouse import build, cli
from crm_warehouse.ingest import load
from crm_warehouse.semantic import exports
from crm_warehouse.serve import publish, publish_delta

#: What a refresh that is not to die in the build builds.
NARROW = ("dim_partners",)

PHASE = sys.argv[1] if len(sys.argv) > 1 else ""


_SAID = threading.Lock()


def hold(phase: str) -> None:
    """Say where this refresh is (once: two dbt threads printing together would
    interleave their lines) and wait for the SIGKILL (for ever)."""
    if _SAID.acquire(blocking=False):
        sys.stdout.write(f"in {phase}\n")
        sys.stdout.flush()
    threading.Event().wait()


def hold_after(owner: Any, name: str, phase: str, when: Callable[..., bool]) -> None:
    """Wrap `owner.name`: when PHASE is `phase` and `when(*args)`, hold after the call."""
    original = getattr(owner, name)

    def wrapped(*args: Any, **kwargs: Any) -> Any:
        result = original(*args, **kwargs)
        if phase == PHASE and when(*args, **kwargs):
            hold(phase)
        return result

    setattr(owner, name, wrapped)


def install() -> None:
    real_build = build.dbt_build

    def dbt_build(
        settings: Any, extra_args: Any = None, on_node: Any = None, manifest: Any = None
    ) -> Any:
        if PHASE in ("publish", "parquet", "docs"):
            return build.DbtResult(command=["dbt", "build"], success=True)
        if PHASE == "":
            return real_build(settings, ["--select", *NARROW], on_node, manifest)

        def node(result: Any) -> None:
            if on_node is not None:
                on_node(result)
            hold("build")

        return real_build(settings, extra_args, node, manifest)

    build.dbt_build = dbt_build
    real_metrics = exports.materialise_saved_queries

    def materialise_saved_queries(settings: Any, report: Any = None) -> Any:
        if PHASE in ("publish", "parquet", "docs"):
            return exports.ExportResult()
        return real_metrics(settings, report)

    exports.materialise_saved_queries = materialise_saved_queries
    real_start = publish_delta.start_from_previous

    def start_from_previous(*args: Any) -> bool:
        # which publish this is: it decides the temporary names a kill leaves
        started = real_start(*args)
        sys.stdout.write("publish from previous\n" if started else "publish every table\n")
        sys.stdout.flush()
        return started

    publish_delta.start_from_previous = start_from_previous
    hold_after(load._Loader, "_load_group", "load", lambda self, group: bool(group))
    copied: list[int] = []
    hold_after(publish, "_copy_table", "publish", lambda *a: copied.append(1) or len(copied) == 3)
    hold_after(publish, "_count", "parquet", lambda con, rel: rel.startswith("read_parquet"))
    hold_after(shutil, "copy2", "docs", lambda src, dst, *a, **k: ".docs.tmp-" in str(dst))


if __name__ == "__main__":
    install()
    # docs are generated again only after a full build or a changed project
    sys.argv = ["crm-warehouse", "refresh", *(["--full-refresh"] if PHASE == "docs" else [])]
    cli.main()
