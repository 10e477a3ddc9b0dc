"""The import of a real export end to end, as a user types it: `crm-warehouse
import` of the X Education leads export (9,240 rows, the public dataset
closest to the issue's 10,000) into a fresh warehouse folder, in a child
process, wall and CPU seconds (user + system of the child) from the outside.

Twice: first after removing the project's kept dbt parse (what the first
import after a clone pays: dbt parses the whole project), then again (what
every later import pays: it starts from that parse,
crm_warehouse.shared_parse). The issue's row (`import_10k`) takes the second;
both are in the results.

    from crm_dev.bench.import_export import measure_import
    figures = measure_import(workdir, log)
"""

from __future__ import annotations

import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from crm_dev.bench.steps import Log
from crm_dev.datasets import DATASETS
from crm_warehouse.settings import TELEMETRY_OFF, project_root
from crm_warehouse.shared_parse import cache_file

#: The mapping and the export's folder in crm_dev.datasets.DATASETS.
MAPPING = "mappings/x_education_leads.yml"
EXPORT = "x_education_leads"


def run_import(workdir: Path, label: str, log: Log) -> dict[str, Any]:
    """One `crm-warehouse import --fresh` into `workdir`; its wall seconds and
    CPU seconds (the child's user + system)."""
    command = [
        sys.executable,
        "-c",
        "from crm_warehouse.cli import main; main()",
        "import",
        "--mapping",
        MAPPING,
        "--source",
        str(DATASETS / EXPORT),
        "--workdir",
        str(workdir),
        "--fresh",
        "--allow-rejects",
    ]
    env = {**os.environ, **TELEMETRY_OFF}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    proc = subprocess.run(
        command, cwd=project_root(), env=env, capture_output=True, text=True, check=False
    )
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout or "").strip().splitlines()[-15:]
        raise RuntimeError(f"bench import {label} failed:\n" + "\n".join(tail))
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    log(f"  {label:<44} {seconds:8.2f} s {cpu:8.2f} cpu-s  load {os.getloadavg()[0]:5.1f}")
    return {"seconds": round(seconds, 2), "cpu_s": round(cpu, 2)}


def measure_import(workdir: Path, log: Log) -> dict[str, Any]:
    """`import_10k` (the later import) and `import_10k_first` (after a clone),
    the warehouse under `workdir`/import (removed afterwards)."""
    home = workdir / "import"
    log(f"import of {EXPORT} ({MAPPING}), end to end")
    cache_file(project_root()).unlink(missing_ok=True)
    first = run_import(home, "import, the project's first dbt parse", log)
    again = run_import(home, "import again, from the kept parse", log)
    shutil.rmtree(home, ignore_errors=True)
    return {
        "import_10k": {**again, "export": EXPORT, "first": first},
        "import_10k_first": first,
    }
