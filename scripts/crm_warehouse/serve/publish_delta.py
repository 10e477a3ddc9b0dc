"""Publish only what a build changed: start the new BI file and Parquet folder
from the ones published last, and replace the tables the build wrote.

The publish stays atomic the same way (crm_warehouse.serve.publish): the copy
is made under the publish's temporary names and swapped into place with one
rename; unchanged Parquet files are hard links to the published ones (the
previous folder is renamed away, never written to), so a reader of the old
file or folder never sees a change.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from crm_warehouse.serve.publish_files import MANIFEST_FILE, read_manifest

#: The share of the published rows at which a publish stops starting from the
#: previous file: when the tables the build wrote hold that much, copying the
#: file and dropping nearly all of it costs more than writing every table
#: (scale 10, 92 of 94 tables changed: 25.7 and 27.5 s against 24.7 and 25.7 s
#: written whole, docs/performance.md).
MOSTLY_CHANGED = 0.9


def start_from_previous(
    final: Path, tmp: Path, parquet_final: Path, parquet_tmp: Path, changed: set[str]
) -> bool:
    """Copy the published file to `tmp` and link every published Parquet file
    into `parquet_tmp`. False (nothing written) when either is missing, or when
    the tables `changed` names hold MOSTLY_CHANGED of the rows the previous
    publish's manifest lists: then every table is written, as after a full build."""
    if not final.is_file() or not parquet_final.is_dir() or Path(f"{final}.wal").exists():
        return False
    if changed_share(final.parent / MANIFEST_FILE, changed) >= MOSTLY_CHANGED:
        return False
    shutil.copyfile(final, tmp)
    for path in parquet_final.rglob("*.parquet"):
        target = parquet_tmp / path.relative_to(parquet_final)
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(path, target)
        except OSError:  # a file system without hard links
            shutil.copy2(path, target)
    return True


def changed_share(manifest: Path, changed: set[str]) -> float:
    """The share of the rows the manifest of the previous publish lists that
    the tables `changed` names ('schema.table') hold; 0.0 when it cannot tell
    (no manifest, or no rows)."""
    try:
        tables = read_manifest(manifest)["tables"]
        rows = {f"{t['schema']}.{t['table']}": int(t["rows"]) for t in tables}
    except (ValueError, KeyError, TypeError):
        return 0.0
    total = sum(rows.values())
    return sum(n for name, n in rows.items() if name in changed) / total if total else 0.0


def tables_to_copy(
    sources: list[tuple[str, str, str]],
    published: set[tuple[str, str]],
    changed: set[str],
    always: tuple[str, ...],
) -> list[tuple[str, str, str]]:
    """The (schema, table, comment) of `sources` a publish must (re)copy: those
    the build wrote (`changed`, as 'schema.table'), those of the `always`
    schemas (the run log), and those the previous file lacks."""
    return [
        (schema, table, comment)
        for schema, table, comment in sources
        if f"{schema}.{table}" in changed or schema in always or (schema, table) not in published
    ]


def gone_tables(
    sources: list[tuple[str, str, str]], published: set[tuple[str, str]]
) -> list[tuple[str, str]]:
    """(schema, table) the previous file has and the warehouse no longer has."""
    present = {(schema, table) for schema, table, _ in sources}
    return sorted(published - present)


def prune_parquet(parquet_tmp: Path, keep: set[str]) -> None:
    """Remove the Parquet files of tables no longer published (`keep`: 'schema.table')."""
    for path in parquet_tmp.rglob("*.parquet"):
        if f"{path.parent.name}.{path.stem}" not in keep:
            path.unlink()
