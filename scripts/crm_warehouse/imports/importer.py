"""Import a CRM export through a mapping file.

`import_export(mapping, source_dir, workdir)` reads the export's files with
DuckDB, applies the mapping (renames, constants, SQL expressions, value maps,
null markers, date and timestamp parsing with the source's time zone, the
latest row per record) and writes one contract-shaped CSV per entity into
`<workdir>/landing/<table>/<table>__b01_<export date>.csv`. From there the
usual load (validation against the raw contract, quarantine), dbt build and
publish take over, on the warehouse under `<workdir>` so that an import never
mixes with demo data:

    settings = import_settings(workdir)
    load_landing(settings); dbt_build(settings); publish(settings)

Before anything is written the mapping is checked against the source files:
every referenced file and column exists (with suggestions when not), every
expression and filter compiles, and every date and timestamp format parses the
first values of its column. All problems are raised together as a
`MappingError` naming the mapping file, the line and the fix.

Written values are contract text: timestamps `YYYY-MM-DD HH:MM:SS` in UTC,
dates `YYYY-MM-DD`, booleans true/false, numbers with a dot. A value that does
not convert is written as it was, so the loader quarantines its row with the
reason (never dropped silently), and the import reports it as a warning.

This module is the orchestration and its results (`ImportResult`); the steps
live beside it: parsing the mapping (`mapping`), the check pass (`check`), the
run of one part (`run`), the warnings (`build_warnings`) and the seed rows
(`seeds`), all in `crm_warehouse.imports`.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from crm_warehouse.imports.build_warnings import contract_warnings, cross_warnings
from crm_warehouse.imports.check import part_text_relation, plan_parts
from crm_warehouse.imports.mapping import load_mapping_partial
from crm_warehouse.imports.part_sql import PartPlan
from crm_warehouse.imports.run import keep_first_part, run_part
from crm_warehouse.imports.seeds import write_seed_rows
from crm_warehouse.imports.sources import connect
from crm_warehouse.imports.spec import Mapping, MappingError
from crm_warehouse.ingest.contract import Contract, Table, load_contract
from crm_warehouse.settings import Settings, project_root, sql_identifier, sql_literal

Progress = Callable[[str, int, int], None]

#: Batch number of the files an import writes (one batch per import).
BATCH = "b01"


# --------------------------------------------------------------------------- results


@dataclass
class EntityImport:
    """What the import did for one contract entity."""

    entity: str
    rows_read: int = 0
    rows_filtered_out: int = 0
    rows_superseded: int = 0
    rows_written: int = 0
    columns: list[str] = field(default_factory=list)
    file: str | None = None


@dataclass
class ImportResult:
    """The outcome of one import: per-entity row counts, the files written and warnings."""

    mapping: str
    source_dir: str
    workdir: str
    landing_dir: str
    export_date: str
    entities: dict[str, EntityImport] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    #: Not problems, said once: the optional source columns the export lacks.
    notes: list[str] = field(default_factory=list)
    #: The mapping's seed_rows: (seed -> rows) and the files they were written to.
    seed_rows: dict[str, list[dict[str, str]]] = field(default_factory=dict)
    seed_row_files: dict[str, str] = field(default_factory=dict)

    @property
    def rows_written(self) -> dict[str, int]:
        return {name: e.rows_written for name, e in self.entities.items()}

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["entities"] = {k: asdict(v) for k, v in self.entities.items()}
        return data


def default_workdir(mapping_path: Path) -> Path:
    """<repo>/imports/<mapping stem>/: an import's own warehouse, apart from the demo data."""
    return project_root() / "imports" / Path(mapping_path).stem


def import_settings(workdir: Path) -> Settings:
    """The Settings of the warehouse an import into `workdir` loads, builds and publishes."""
    return Settings.under(workdir)


@dataclass
class CheckResult:
    """A mapping that fits the contract and the files, and what the build will warn about."""

    mapping: Mapping
    warnings: list[str] = field(default_factory=list)
    #: Not problems: the optional source columns the export lacks (left empty).
    notes: list[str] = field(default_factory=list)


def check_export(
    mapping_path: Path, source_dir: Path, contract: Contract | None = None
) -> CheckResult:
    """Check the mapping against the contract and the files, every problem in one pass.

    Raises MappingError listing them all (structure, header, SQL, date and number
    formats). When there is none, returns the mapping and warnings: raw stage
    names and lead sources the seeds do not know, and references the build's
    relationship tests will find missing.
    """
    contract = contract or load_contract()
    mapping, issues = load_mapping_partial(Path(mapping_path), contract)
    if mapping is None:
        raise MappingError(issues)
    source_dir = Path(source_dir).resolve()
    with tempfile.TemporaryDirectory(prefix="crm-import-") as scratch:
        con = connect([source_dir, Path(scratch)])
        try:
            plans = plan_parts(con, mapping, source_dir, contract, Path(scratch), issues)
            rels = {
                entity: [
                    (part_text_relation(con, contract.table(entity), p), list(p.part.columns))
                    for p in entity_plans
                ]
                for entity, entity_plans in plans.items()
            }
            warnings = cross_warnings(con, contract, mapping, rels)
            if any(p.part.latest_by for ps in plans.values() for p in ps):
                # The check does not run latest_by: its counts are of the export's rows.
                warnings = [
                    f"{w} (counted in the export's rows, before latest_by keeps one per key)"
                    for w in warnings
                ]
        finally:
            con.close()
    return CheckResult(mapping, warnings, _notes(plans))


def check_import(mapping_path: Path, source_dir: Path, contract: Contract | None = None) -> Mapping:
    """Parse the mapping and check it against the source files; raise MappingError on any problem."""
    return check_export(mapping_path, source_dir, contract).mapping


def import_export(
    mapping_path: Path,
    source_dir: Path,
    workdir: Path | None = None,
    progress: Progress | None = None,
    contract: Contract | None = None,
) -> ImportResult:
    """Apply a mapping to the export in `source_dir`; write contract files into `<workdir>/landing`.

    Raises MappingError (every problem, with file, line and fix) before writing
    anything when the mapping does not fit the contract or the source files.
    Entities the mapping does not name are not written (the loader creates them empty).
    """
    contract = contract or load_contract()
    mapping_path = Path(mapping_path).resolve()
    source_dir = Path(source_dir).resolve()
    workdir = Path(workdir).resolve() if workdir else default_workdir(mapping_path)
    mapping, issues = load_mapping_partial(mapping_path, contract)
    if mapping is None:
        raise MappingError(issues)
    landing = workdir / "landing"
    scratch_dir = tempfile.TemporaryDirectory(prefix="crm-import-")
    scratch = Path(scratch_dir.name)
    con = connect([source_dir, scratch, landing])
    try:
        plans = plan_parts(con, mapping, source_dir, contract, scratch, issues)
        result = ImportResult(
            mapping=str(mapping_path),
            source_dir=str(source_dir),
            workdir=str(workdir),
            landing_dir=str(landing),
            export_date="",
            notes=_notes(plans),
        )
        total = len(plans)
        finals: dict[str, tuple[str, list[str]]] = {}
        for step, (entity, entity_plans) in enumerate(plans.items()):
            if progress:
                progress(f"import {entity}", step, total)
            finals[entity] = _import_entity(con, contract.table(entity), entity_plans, result)
        result.warnings += cross_warnings(
            con,
            contract,
            mapping,
            {e: [(f"select * from {final}", cols)] for e, (final, cols) in finals.items()},
        )
        result.export_date = _export_date(con, contract, finals)
        _clear_landing(landing, contract)
        result.seed_rows = {k: v for k, v in mapping.seed_rows.items() if v}
        result.seed_row_files = write_seed_rows(landing, mapping)
        _write_landing(con, landing, finals, result)
        if progress:
            progress("import", total, total)
    finally:
        con.close()
        scratch_dir.cleanup()
    (workdir / "import_report.json").write_text(json.dumps(result.to_dict(), indent=2) + "\n")
    return result


def _notes(plans: dict[str, list[PartPlan]]) -> list[str]:
    """The parts' notes, in the mapping's order."""
    return [note for entity_plans in plans.values() for p in entity_plans for note in p.notes]


def _import_entity(
    con: duckdb.DuckDBPyConnection, table: Table, plans: list[PartPlan], result: ImportResult
) -> tuple[str, list[str]]:
    """Run the parts of one entity into the temp table `final_<entity>`, the first part's
    row winning a key several give; record counts and warnings in `result`. Returns the
    table and the contract columns the parts map."""
    entity = table.name
    info = EntityImport(entity=entity)
    names = []
    for i, plan in enumerate(plans):
        name = f"part_{entity}_{i}"
        read, filtered_out, superseded, warnings = run_part(con, table, plan, name)
        info.rows_read += read
        info.rows_filtered_out += filtered_out
        info.rows_superseded += superseded
        result.warnings += warnings
        names.append(name)
    columns = [c for c in table.column_names if any(c in p.part.columns for p in plans)]
    selects = [
        f"select {i} as __part, __row, "
        + ", ".join(
            sql_identifier(c)
            if c in plans[i].part.columns
            else f"cast(null as varchar) as {sql_identifier(c)}"
            for c in columns
        )
        + f" from {n}"
        for i, n in enumerate(names)
    ]
    final = f"final_{entity}"
    con.execute(f"create or replace temp table {final} as {' union all '.join(selects)}")
    if len(names) > 1 and table.primary_key in columns:
        info.rows_superseded += keep_first_part(con, final, table, result.warnings)
    info.rows_written = con.execute(f"select count(*) from {final}").fetchone()[0]  # type: ignore[index]
    info.columns = columns
    result.warnings += contract_warnings(con, table, final, columns)
    result.entities[entity] = info
    return final, columns


def _write_landing(
    con: duckdb.DuckDBPyConnection,
    landing: Path,
    finals: dict[str, tuple[str, list[str]]],
    result: ImportResult,
) -> None:
    """Write each entity's rows, in file order, to landing/<entity>/<entity>__b01_<date>.csv."""
    for entity, (final, columns) in finals.items():
        out_dir = landing / entity
        out_dir.mkdir(parents=True, exist_ok=True)
        target = out_dir / f"{entity}__{BATCH}_{result.export_date}.csv"
        tmp = out_dir / f".{target.name}.tmp"  # hidden: the loader skips it
        cols = ", ".join(sql_identifier(c) for c in columns)
        con.execute(
            f"copy (select {cols} from {final} order by __part, __row) to {sql_literal(str(tmp))} "
            "(format csv, header true)"
        )
        tmp.replace(target)
        result.entities[entity].file = str(target)


def _export_date(
    con: duckdb.DuckDBPyConnection, contract: Contract, finals: dict[str, tuple[str, list[str]]]
) -> str:
    """The latest day the export's records were changed (deterministic file names)."""
    latest: list[str] = []
    for entity, (final, columns) in finals.items():
        table = contract.table(entity)
        cols = (
            [table.version_column]
            if table.version_column in columns
            else [c for c in columns if table.column(c).data_type in ("timestamp", "date")]
        )
        for c in cols:
            row = con.execute(
                f"select max(try_cast(left({sql_identifier(c)}, 10) as date)) from {final}"
            ).fetchone()
            if row and row[0]:
                latest.append(row[0].isoformat())
    return max(latest) if latest else "1970-01-01"


def _clear_landing(landing: Path, contract: Contract) -> None:
    """Remove the files a previous import into this landing folder wrote."""
    for name in contract.names:
        folder = landing / name
        if not folder.is_dir():
            continue
        for f in folder.glob(f"{name}__{BATCH}_*.csv"):
            f.unlink()
        if not any(folder.iterdir()):
            shutil.rmtree(folder)
