"""What the load and the build will say about an import's rows, said before them.

Warnings, not errors: the import runs, and these rows are reported.
`cross_warnings`: raw stage names, lead sources and regions the seeds do not know
(nor the mapping's seed_rows:), and references to records the export lacks or
to entities the mapping does not import (read from the staging relationship
tests). `contract_warnings`: what the loader will quarantine (blank required
values, values below the minimum or not accepted, duplicate keys).
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

import duckdb
import yaml

from crm_warehouse.imports.seeds import YAML_LOADER, seed_info
from crm_warehouse.imports.spec import Mapping
from crm_warehouse.ingest.contract import Contract, Table
from crm_warehouse.settings import project_root, sql_identifier, sql_literal

#: How many example values a warning quotes.
EXAMPLES = 3

#: Contract columns whose raw values the seeds translate: (entity, column) -> seed.
SEEDED_COLUMNS = {
    ("opportunities", "stage_name"): "stages",
    ("opportunity_stage_history", "stage_name"): "stages",
    ("leads", "lead_source"): "lead_sources",
    ("accounts", "region"): "regions",
    ("partners", "region"): "regions",
    ("teams", "region"): "regions",
}
_SEED_EFFECT = {
    "stages": "their deals count as neither open nor closed",
    "lead_sources": "their leads have no canonical source or channel group",
    "regions": "they are kept as written, so one region may appear under two spellings",
}
_STAGING_MODELS = Path("models/staging/crm/_stg_crm__models.yml")


def _relationships() -> list[tuple[str, str, str, str]]:
    """(entity, column, referenced entity, referenced column) of the staging relationship tests."""
    path = project_root() / _STAGING_MODELS
    stat = path.stat()
    return list(_relationships_in(path, stat.st_mtime_ns, stat.st_size))


@functools.lru_cache(maxsize=2)
def _relationships_in(
    path: Path, mtime_ns: int, size: int
) -> tuple[tuple[str, str, str, str], ...]:
    """_relationships of the file at `path` as it was at (mtime_ns, size): read
    once per process (its 60 KB took 0.15 s with PyYAML's Python parser,
    on every import's checks and every test that runs them)."""
    doc = yaml.load(path.read_text(encoding="utf-8"), Loader=YAML_LOADER) or {}
    out = []
    for model in doc.get("models", []):
        entity = str(model.get("name", "")).removeprefix("stg_crm__")
        for col in model.get("columns", []):
            for test in col.get("data_tests") or []:
                # relationships_where_present: a reference to an absent entity passes
                # the build and is counted in dq_missing_references
                name = (
                    next(
                        (n for n in ("relationships_where_present", "relationships") if n in test),
                        None,
                    )
                    if isinstance(test, dict)
                    else None
                )
                if name is None:
                    continue
                body = test[name]
                args = body.get("arguments", body)
                m = re.search(r"ref\('stg_crm__(\w+)'\)", str(args.get("to", "")))
                if m:
                    out.append((entity, col["name"], m.group(1), str(args.get("field"))))
    return tuple(out)


def cross_warnings(
    con: duckdb.DuckDBPyConnection,
    contract: Contract,
    mapping: Mapping,
    rels: dict[str, list[tuple[str, list[str]]]],
) -> list[str]:
    """Raw values the seeds do not know, and references to records the export lacks.

    `rels` gives, per entity, SQL relations whose columns are contract columns
    (text). Warnings only: the build runs, but these rows are reported.
    """
    out: list[str] = []

    def union(entity: str, column: str) -> str | None:
        parts = [sql for sql, cols in rels.get(entity, []) if column in cols]
        if not parts:
            return None
        return " union all ".join(
            f"select {sql_identifier(column)} as v from ({sql})" for sql in parts
        )

    for (entity, column), seed in SEEDED_COLUMNS.items():
        values = union(entity, column)
        if values is None:
            continue
        info = seed_info(seed)
        known = set(info.rows) | {r[info.columns[0]] for r in mapping.seed_rows.get(seed, [])}
        found = con.execute(
            f"select lower(trim(v)) as k, min(v), count(*) from ({values}) "
            "where v is not null and trim(v) <> '' group by k order by count(*) desc, k"
        ).fetchall()
        unknown = [(ex, n) for k, ex, n in found if k not in known]
        if unknown:
            listed = ", ".join(f"'{ex}' ({_rows(n)})" for ex, n in unknown[:10])
            more = f" and {len(unknown) - 10} more" if len(unknown) > 10 else ""
            first = info.columns[0]
            out.append(
                f"{entity}.{column}: {len(unknown)} value(s) are not in seeds/{seed}.csv "
                f"(matched lower-cased and trimmed) nor in the mapping's seed_rows: {listed}{more}; "
                f"{_SEED_EFFECT[seed]}. Add them under seed_rows: {{{seed}: [{{{first}: ..., ...}}]}} "
                "or translate them to known names with a value map"
            )
    for entity, column, target, field_name in _relationships():
        if entity not in rels or target not in contract.names:
            continue
        values = union(entity, column)
        if values is None:
            continue
        n_refs = con.execute(
            f"select count(*) from ({values}) where v is not null and trim(v) <> ''"
        ).fetchone()[0]  # type: ignore[index]
        if not n_refs:
            continue
        if target not in mapping.entities:
            role = column.removesuffix("_id").removesuffix("_rep").replace("_", " ")
            out.append(
                f"{entity}.{column}: references to {target} on {_rows(n_refs)}, but this mapping "
                f"does not import {target}: the {role} dimension will be absent (not an error: the build "
                f"reports the references as missing). Add an entity '{target}' to have it"
            )
            continue
        keys = union(target, field_name)
        if keys is None:
            continue
        n, examples = con.execute(
            f"select count(*), list(distinct v)[1:{EXAMPLES}] from ({values}) "
            f"where v is not null and trim(v) <> '' and v not in (select v from ({keys}) "
            "where v is not null)"
        ).fetchone()  # type: ignore[misc]
        if n:
            out.append(
                f"{entity}.{column}: references on {_rows(n)} to {target} records the export does "
                f"not have (e.g. {', '.join(repr(e) for e in examples)}): the build's relationship "
                f"test on {column} flags them"
            )
    return out


def _rows(n: int) -> str:
    return f"{n:,} row" + ("" if n == 1 else "s")


def _count_with_examples(
    con: duckdb.DuckDBPyConnection, name: str, column: str, where: str
) -> tuple[int, list]:
    """Rows of `name` where `where` holds, and up to EXAMPLES of their distinct `column` values."""
    n, examples = con.execute(
        f"select count(*), list(distinct {column})[1:{EXAMPLES}] from {name} where {where}"
    ).fetchone()  # type: ignore[misc]
    return n, examples


def contract_warnings(
    con: duckdb.DuckDBPyConnection, table: Table, name: str, columns: list[str]
) -> list[str]:
    """What the loader will reject: blank required values, values outside accepted_values, duplicate keys."""
    out = []
    for col_name in columns:
        col = table.column(col_name)
        c = sql_identifier(col_name)
        if col.required:
            n = con.execute(
                f"select count(*) from {name} where {c} is null or trim({c}) = ''"
            ).fetchone()[0]  # type: ignore[index]
            if n:
                out.append(
                    f"{table.name}.{col_name}: {n:,} row(s) have no value for this required column; "
                    "the loader will quarantine them (map a default: or an expr: to fill it)"
                )
        if col.is_numeric and col.min_value is not None:
            n, examples = _count_with_examples(
                con, name, c, f"try_cast({c} as double) < {float(col.min_value)!r}"
            )
            if n:
                out.append(
                    f"{table.name}.{col_name}: {n:,} row(s) are below the contract's minimum "
                    f"{col.min_value} ({', '.join(repr(e) for e in examples)}); the loader will "
                    "quarantine them"
                )
        if col.accepted_values:
            accepted = ", ".join(sql_literal(v) for v in col.accepted_values)
            n, examples = _count_with_examples(
                con, name, c, f"{c} is not null and {c} not in ({accepted})"
            )
            if n:
                out.append(
                    f"{table.name}.{col_name}: {n:,} row(s) have values the contract does not accept "
                    f"({', '.join(repr(e) for e in examples)}); accepted: {', '.join(col.accepted_values)}. "
                    "Translate them with a map:"
                )
    pk = table.primary_key
    if pk in columns:
        n = con.execute(
            f"select count(*) from (select {sql_identifier(pk)} from {name} group by {sql_identifier(pk)} having count(*) > 1)"
        ).fetchone()[0]  # type: ignore[index]
        if n:
            out.append(
                f"{table.name}.{pk}: {n:,} key(s) occur on several rows; the loader rejects duplicate keys "
                "within a file: add latest_by: {key: ...} to keep one row per key"
            )
    return out
