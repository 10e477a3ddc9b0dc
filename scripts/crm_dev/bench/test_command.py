"""The README's test command (`make test`), timed for the benchmark's table:
wall seconds and CPU seconds of every process it ran (user + system of the
children), kept in a JSON file so that a benchmark run without
`--test-command` still shows the last figure, with its date."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from crm_dev.bench.steps import Log
from crm_warehouse.settings import project_root

#: The command the README gives for the tests.
COMMAND = ("make", "test")


def time_test_command(keep: Path, log: Log) -> dict[str, Any]:
    """Run COMMAND in the project, time it and keep the figure in `keep`."""
    log(f"timing the README's test command: {' '.join(COMMAND)} (about 5 minutes) ...")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    proc = subprocess.run(COMMAND, cwd=project_root(), capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    figure = {
        "command": " ".join(COMMAND),
        "seconds": round(seconds, 1),
        "cpu_s": round(cpu, 1),
        "returncode": proc.returncode,
        "load_avg": round(os.getloadavg()[0], 1),
        "when": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "tail": (proc.stdout or "").strip().splitlines()[-3:],
    }
    keep.parent.mkdir(parents=True, exist_ok=True)
    keep.write_text(json.dumps(figure, indent=2) + "\n")
    log(f"  {figure['command']}: {seconds:.1f} s, {cpu:.1f} cpu-s, exit {proc.returncode}")
    return {**figure, "this_run": True}


def last_test_command(keep: Path) -> dict[str, Any] | None:
    """The figure kept by the last timing, if any."""
    try:
        return {**json.loads(keep.read_text()), "this_run": False}
    except (OSError, ValueError):
        return None
