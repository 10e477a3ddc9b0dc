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

The simulation lives in crm_warehouse.demo.sim (one module per business
domain, each registering the builders of its tables), the files are written by
crm_warehouse.demo.render and counted by crm_warehouse.demo.stats. A contract
table without a demo builder gets one empty file (the contract's columns) and
a warning.
"""

from __future__ import annotations

import json
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa

from crm_warehouse.demo import config, shard
from crm_warehouse.demo.render import batch_name, render, render_empty
from crm_warehouse.demo.sim.records import TableModel
from crm_warehouse.demo.sim.registry import table_models
from crm_warehouse.demo.sim.story import simulate
from crm_warehouse.demo.sim.world import Sim
from crm_warehouse.demo.sink import Sink
from crm_warehouse.demo.stats import Stats, duplicate_submissions, merge_counts
from crm_warehouse.demo.text import keys
from crm_warehouse.ingest.contract import load_contract
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
    root = project_root()
    names = load_contract().names
    total_steps = len(shard.plan(scale)) * (len(names) + 1) + 1

    def tick(done: int) -> None:
        if progress is not None:
            progress(_PROGRESS_LABEL, done, total_steps)

    landing_dir.mkdir(parents=True, exist_ok=True)
    _clear_previous(landing_dir, names)
    tick(0)
    files, tables = _write_shards(
        seed, shard.plan(scale), names, landing_dir, root, lambda i: tick(i + 1)
    )
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
        totals=_totals(tables, files),
    )
    (landing_dir / REPORT_NAME).write_text(report.to_json(), encoding="utf-8")
    report.elapsed_seconds = time.perf_counter() - started
    return report


def _write_shards(
    seed: int,
    scales: list[float],
    names: list[str],
    landing_dir: Path,
    root: Path,
    done: Callable[[int], None],
) -> tuple[list[dict[str, Any]], dict[str, dict[str, Any]]]:
    """Simulate and write each shard in turn (crm_warehouse.demo.shard), only one
    in memory at a time; returns the files written and each table's counts over
    all shards."""
    con = duckdb.connect()
    con.execute("set timezone = 'UTC'").fetchall()
    con.execute("set enable_progress_bar = false").fetchall()
    sink = Sink(con)
    files: dict[str, dict[str, Any]] = {}
    tables: dict[str, dict[str, Any]] = {}
    key_offsets: dict[str, int] = {}
    row_offsets: dict[str, int] = {}
    step = 0
    with tempfile.TemporaryDirectory(prefix="crm-demo-") as scratch:
        for k, shard_scale in enumerate(scales):
            with shard.offsets(shard.Offsets(dict(key_offsets), dict(row_offsets))):
                sim = simulate(seed, shard_scale, root, shard=k, shards=len(scales))
                models = table_models(sim, names)
                if k == 0:
                    _warn_missing(names, models)
                step += 1
                done(step)
                records = {name: m.n for name, m in models.items()}
                scratch_dir = Path(scratch) if len(scales) > 1 else None
                for name, (shard_files, counts) in _write_tables(
                    sim, models, landing_dir, root, sink, scratch_dir
                ):
                    _merge_files(files, shard_files)
                    tables[name] = merge_counts(tables.get(name), counts)
                    row_offsets[name] = tables[name]["rows_written"]
                    step += 1
                    done(step)
            for name, n in records.items():
                if name not in config.SHARED_TABLES:
                    key_offsets[name] = key_offsets.get(name, 0) + n
            del sim, models
        sink.close()
        if len(scales) > 1 and "leads" in tables:
            tables["leads"]["duplicate_submissions"] = duplicate_submissions(con, Path(scratch))
    con.close()
    return list(files.values()), tables


def _warn_missing(names: list[str], models: dict[str, TableModel]) -> None:
    missing = [n for n in names if n not in models]
    if missing:
        warnings.warn(
            f"the demo generator has no builder for contract tables {', '.join(missing)}: "
            "each gets one empty file (the contract's columns, no rows)",
            stacklevel=3,
        )


def _merge_files(files: dict[str, dict[str, Any]], new: list[dict[str, Any]]) -> None:
    """Add a shard's files to `files` (by path; rows appended to a file add up)."""
    for f in new:
        if f["path"] in files:
            files[f["path"]]["rows"] += f["rows"]
        else:
            files[f["path"]] = dict(f)


def _write_tables(
    sim: Sim,
    models: dict[str, TableModel],
    landing_dir: Path,
    root: Path,
    sink: Sink,
    scratch: Path | None,
) -> Iterator[tuple[str, tuple[list[dict[str, Any]], dict[str, Any]]]]:
    """Render every contract table of one shard in contract order (an empty file
    for a table without a model; the shared tables in the first shard only) and
    count it; yields each table's files written and counts."""
    contract = load_contract()
    ref_keys = {
        name: keys(name, np.arange(models[name].n)) if name in models else pa.array([], pa.string())
        for name in contract.names
    }
    stats = Stats(sink.con, root, ref_keys, submissions_dir=scratch)
    for i, name in enumerate(contract.names):
        table, rng = contract.table(name), sim.rng(2000 + i)
        if sim.shard > 0 and (name in config.SHARED_TABLES or name not in models):
            models.pop(name, None)
            yield name, ([], {})
            continue
        if name in models:
            rendered = render(models.pop(name), table, rng, landing_dir, sink)
        else:
            rendered = render_empty(table, rng, landing_dir, sink)
        counts = stats.table(rendered)
        written = rendered.files
        del rendered
        yield name, (written, counts)


def _totals(tables: dict[str, dict[str, Any]], files: list[dict[str, Any]]) -> dict[str, int]:
    """The report's totals over all tables."""
    return {
        "rows_written": sum(t["rows_written"] for t in tables.values()),
        "malformed_rows": sum(sum(t["malformed_rows"].values()) for t in tables.values()),
        "exact_duplicates": sum(t["exact_duplicates"] for t in tables.values()),
        "superseded_versions": sum(t["superseded_versions"] for t in tables.values()),
        "records": sum(t["records"] for t in tables.values()),
        "files": len(files),
    }
