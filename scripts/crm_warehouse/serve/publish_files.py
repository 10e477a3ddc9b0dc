"""The publish folder's file names and file chores: unique temporary names, removal,
fsync, and the sweep of what a killed publish left behind (crm_warehouse.serve.publish
and the dashboard use them)."""

from __future__ import annotations

import json
import os
import shutil
import uuid
from pathlib import Path
from typing import Any

#: The BI file, its Parquet folder and the publish manifest, in the publish folder.
MARTS_FILE = "crm_marts.duckdb"
PARQUET_DIR = "parquet"
MANIFEST_FILE = "manifest.json"


def fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def remove(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def token() -> str:
    """Unique part of a publish's temporary names: pid and random, so two
    publishes never write (or rename) each other's files, lock or no lock."""
    return f"{os.getpid()}-{uuid.uuid4().hex[:8]}"


#: Temporary names a publish or dashboard writes into the publish folder (and
#: older versions' names), removed at the start of the next publish if a killed one
#: left them behind.
_TEMP_PATTERNS: tuple[str, ...] = (
    f".{MARTS_FILE}.tmp-*",
    f"{MARTS_FILE}.tmp",
    f"{MARTS_FILE}.tmp.wal",
    f".{PARQUET_DIR}.tmp-*",
    f".{PARQUET_DIR}.old-*",
    ".spill-*",
    f".{MANIFEST_FILE}.tmp-*",
    f"{MANIFEST_FILE}.tmp",
    ".docs.tmp-*",
    ".docs.old-*",
    ".dashboard.html.tmp-*",
    "dashboard.html.tmp",
)


def remove_stale_temps(out_dir: Path) -> list[Path]:
    """Remove what killed publishes left in `out_dir` (only the names a publish
    writes). Call it only holding the publish folder's lock: then no live
    publish owns any of them. Returns what was removed."""
    from crm_warehouse.lock import is_held, publish_lock_path

    if not is_held(publish_lock_path(out_dir)):
        raise RuntimeError(f"remove_stale_temps({out_dir}) without the publish lock")
    removed = sorted({p for pattern in _TEMP_PATTERNS for p in out_dir.glob(pattern)})
    for path in removed:
        remove(path)
    return removed


def remove_db(path: Path) -> None:
    remove(path)
    remove(Path(f"{path}.wal"))


def read_manifest(path: Path) -> dict[str, Any]:
    """A publish's `manifest.json` (what it published, with row counts and the
    run's id); {} when there is none or it is not a JSON object."""
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}
