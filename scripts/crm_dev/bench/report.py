"""The benchmark's figures judged and shown: the targets, the machine they
came from, and the Markdown table `python -m crm_dev.bench` prints."""

from __future__ import annotations

import os
import platform
from pathlib import Path
from typing import Any

#: Keys of one scale's entry in results.json, in the order the issue lists them.
RESULT_KEYS = (
    "scale",
    "raw_rows",
    "floor_s",
    "load_s",
    "validate_s",
    "dbt_build_s",
    "dbt_run_s",
    "raw_sql_s",
    "publish_s",
    "full_refresh_s",
    "incremental_s",
    "pandas_s",
    "polars_s",
    "peer_s",
    "peak_rss_mb",
)

#: Targets as (label, numerator key, denominator key or None, limit).
TARGETS: tuple[tuple[str, str, str | None, float], ...] = (
    ("full refresh <= 2 x floor", "full_refresh_s", "floor_s", 2.0),
    ("full refresh <= 4 x plain read", "full_refresh_s", "read_s", 4.0),
    ("dbt run <= 1.3 x raw SQL", "dbt_run_s", "raw_sql_s", 1.3),
    ("incremental <= 0.10 x full refresh", "incremental_s", "full_refresh_s", 0.10),
    ("load with validation <= 1.5 x plain read", "load_s", "read_s", 1.5),
    ("peak RSS <= 4096 MB", "peak_rss_mb", None, 4096.0),
    ("marts' SQL >= 3 x faster than the fastest peer", "kpi_sql_s", "peer_s", 1 / 3),
)


def machine() -> dict[str, Any]:
    """What the figures came from."""
    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gb = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem_gb = round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    import importlib.util

    import dbt.version
    import duckdb
    import pandas

    polars = None
    if importlib.util.find_spec("polars") is not None:
        import polars

    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gb": mem_gb,
        "os": platform.platform(),
        "python": platform.python_version(),
        "duckdb": duckdb.__version__,
        "dbt": str(dbt.version.installed),
        "pandas": pandas.__version__,
        "polars": polars.__version__ if polars is not None else None,
    }


def check_targets(result: dict[str, Any], cpu: bool = False) -> list[dict[str, Any]]:
    """Each target's ratio (or value) and whether it is met; with cpu, the time
    ratios on CPU seconds instead of wall seconds."""
    checks = []
    figures = {**result, **(result.get("cpu") or {})} if cpu else result
    for label, num, den, limit in TARGETS:
        top = figures.get(num)
        bottom = figures.get(den) if den else 1.0
        if top is None or not bottom:
            checks.append({"target": label, "value": None, "met": None})
            continue
        value = float(top) / float(bottom)
        checks.append({"target": label, "value": round(value, 3), "met": value <= limit})
    return checks


def format_table(data: dict[str, Any]) -> str:
    """The figures as a Markdown table, one column per scale, then the targets
    (ratio on wall seconds, and on CPU seconds in brackets)."""
    results = data["results"]
    head = "| figure | " + " | ".join(f"scale {r['scale']:g}" for r in results) + " |"
    lines = [head, "|---|" + "---:|" * len(results)]
    for key in (*RESULT_KEYS[1:], "read_s", "kpi_sql_s"):
        cells = []
        for r in results:
            v = r.get(key)
            cpu = (r.get("cpu") or {}).get(key)
            text = "" if v is None else (f"{v:,}" if isinstance(v, int) else f"{v:,.1f}")
            cells.append(text + (f" ({cpu:,.1f} cpu)" if cpu is not None else ""))
        lines.append(f"| {key} | " + " | ".join(cells) + " |")
    lines += ["", "| target | " + " | ".join(f"scale {r['scale']:g}" for r in results) + " |"]
    lines.append("|---|" + "---:|" * len(results))

    def cell(check: dict[str, Any]) -> str:
        if check["value"] is None:
            return "n/a"
        return f"{check['value']:.2f} {'met' if check['met'] else 'MISSED'}"

    for i, (label, *_rest) in enumerate(TARGETS):
        cells = [
            f"{cell(r['targets'][i])} ({cell(r['targets_cpu'][i])})"
            if label != "peak RSS <= 4096 MB"
            else cell(r["targets"][i])
            for r in results
        ]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines)
