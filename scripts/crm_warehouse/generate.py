"""Deterministic, realistic and messy demo CRM exports.

    from crm_warehouse.generate import generate
    report = generate(Path("landing"), scale=1.0, seed=42)

writes, for every table of the raw contract, one file per export batch
(`<table>/<table>__b<NN>_<export date>.<csv|jsonl|parquet>`) and
`_generation_report.json`, whose counts (rows written, malformed rows, exact
duplicates, superseded versions, records, soft deletes, invalid emails and
phones, unmapped values, duplicate submissions, missing references,
currencies) are exact: docs/demo_data.md defines each one. The same seed and
scale give byte-identical files.

The simulation lives in crm_warehouse.demo (model, tables), the files are
written by crm_warehouse.demo.render and counted by crm_warehouse.demo.stats.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import duckdb
import numpy as np

from crm_warehouse.contract import load_contract
from crm_warehouse.demo import config
from crm_warehouse.demo.model import Sim
from crm_warehouse.demo.render import batch_name, render
from crm_warehouse.demo.stats import Stats
from crm_warehouse.demo.text import keys
from crm_warehouse.settings import project_root

REPORT_NAME = "_generation_report.json"
GENERATOR_VERSION = 1
_PROGRESS_LABEL = "generate demo data"


@dataclass
class GenerationReport:
    """What `generate` wrote; `to_dict()` is the content of _generation_report.json."""

    seed: int
    scale: float
    window: dict[str, str]
    batches: list[dict[str, Any]]
    files: list[dict[str, Any]]
    tables: dict[str, dict[str, Any]]
    rates: dict[str, Any]
    totals: dict[str, int] = field(default_factory=dict)
    #: Wall-clock seconds of the run (not part of the JSON, which must be reproducible).
    elapsed_seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "generator": "crm_warehouse.generate",
            "generator_version": GENERATOR_VERSION,
            "seed": self.seed,
            "scale": self.scale,
            "window": self.window,
            "batches": self.batches,
            "totals": self.totals,
            "tables": self.tables,
            "files": self.files,
            "rates": self.rates,
            "definitions": "docs/demo_data.md#report-counts",
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n"


def _clear_previous(landing_dir: Path, table_names: list[str]) -> None:
    """Remove the files of an earlier generation; refuse to mix with other files."""
    previous = landing_dir / REPORT_NAME
    if previous.is_file():
        try:
            listed = json.loads(previous.read_text(encoding="utf-8")).get("files", [])
        except (OSError, ValueError):
            listed = []
        for f in listed:
            p = landing_dir / f.get("path", "")
            if p.is_file() and p.resolve().is_relative_to(landing_dir.resolve()):
                p.unlink()
        previous.unlink()
    leftovers = [
        p
        for name in table_names
        if (landing_dir / name).is_dir()
        for p in sorted((landing_dir / name).iterdir())
    ]
    if leftovers:
        raise FileExistsError(
            f"{landing_dir} already holds files the generator did not write (e.g. {leftovers[0]}); "
            "generate into an empty folder or remove them first"
        )


def generate(
    landing_dir: Path,
    scale: float = 1.0,
    seed: int = 42,
    progress: Callable[[str, int, int], None] | None = None,
) -> GenerationReport:
    """Write demo exports of every contract table into `landing_dir` and return the report.

    `scale` 1 is about a million rows (teams, products and lead-source targets
    stay fixed); `seed` selects the story. Files of an earlier generation in
    `landing_dir` are replaced; other files in its table folders make it fail.
    """
    started = time.perf_counter()
    landing_dir = Path(landing_dir)
    contract = load_contract()
    root = project_root()
    names = contract.names
    total_steps = len(names) + 1

    def tick(done: int) -> None:
        if progress is not None:
            progress(_PROGRESS_LABEL, done, total_steps)

    landing_dir.mkdir(parents=True, exist_ok=True)
    _clear_previous(landing_dir, names)
    tick(0)
    sim = Sim(seed, scale, root).run()
    models = sim.tables()
    missing = [n for n in names if n not in models]
    if missing:
        raise KeyError(f"the generator has no model for contract tables: {missing}")
    tick(1)
    ref_keys = {name: keys(name, np.arange(models[name].n)) for name in names}
    con = duckdb.connect()
    con.execute("set timezone = 'UTC'").fetchall()
    con.execute("set enable_progress_bar = false").fetchall()
    stats = Stats(con, root, ref_keys)
    files: list[dict[str, Any]] = []
    tables: dict[str, dict[str, Any]] = {}
    for i, name in enumerate(names):
        rendered = render(
            models.pop(name), contract.table(name), sim.rng(2000 + i), landing_dir, con
        )
        files += rendered.files
        tables[name] = stats.table(rendered)
        del rendered
        tick(i + 2)
    con.close()
    totals = {
        "rows_written": sum(t["rows_written"] for t in tables.values()),
        "malformed_rows": sum(sum(t["malformed_rows"].values()) for t in tables.values()),
        "exact_duplicates": sum(t["exact_duplicates"] for t in tables.values()),
        "superseded_versions": sum(t["superseded_versions"] for t in tables.values()),
        "records": sum(t["records"] for t in tables.values()),
        "files": len(files),
    }
    last_day = config.WINDOW_END - timedelta(days=1)
    report = GenerationReport(
        seed=int(seed),
        scale=float(scale),
        window={"start": str(config.WINDOW_START), "end": str(last_day)},
        batches=[
            {
                "batch": b + 1,
                "export_date": batch_name(b),
                "covers_from": str(lo),
                "covers_to": str(hi - timedelta(days=1)),
            }
            for b, (lo, hi) in enumerate(config.BATCHES)
        ],
        files=files,
        tables=tables,
        rates=config.rates(),
        totals=totals,
    )
    (landing_dir / REPORT_NAME).write_text(report.to_json(), encoding="utf-8")
    report.elapsed_seconds = time.perf_counter() - started
    return report
