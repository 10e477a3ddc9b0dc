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


def start_from_previous(final: Path, tmp: Path, parquet_final: Path, parquet_tmp: Path) -> bool:
    """Copy the published file to `tmp` and link every published Parquet file
    into `parquet_tmp`. False (nothing written) when either is missing."""
    if not final.is_file() or not parquet_final.is_dir() or Path(f"{final}.wal").exists():
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
