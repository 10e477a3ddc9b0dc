"""The landed files: which files of the landing folder are data, which
contract table and format a file's place gives it, and its identity (content
hash, batch id, size and modification time).

Nothing here reads a file's contents beyond its hash; inspection.py reads its
structure.
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path
from typing import NamedTuple

from crm_warehouse.ingest.contract import Contract, Table
from crm_warehouse.ingest.results import FileRejected

FORMATS = {".csv": "csv", ".parquet": "parquet", ".jsonl": "jsonl"}
#: Top-level files of landing_dir that are not data.
IGNORED_TOP_LEVEL = frozenset({"_generation_report.json"})

_BATCH_RE = re.compile(r"^(?P<table>.+?)__(?P<batch>b\d+_\d{4}-\d{2}-\d{2})$")


def file_sha256(path: Path) -> str:
    with path.open("rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def prefix_sha256(path: Path, size: int) -> str:
    """The sha256 of the first `size` bytes of a file."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        left = size
        while left > 0:
            block = fh.read(min(left, 1 << 20))
            if not block:
                break
            digest.update(block)
            left -= len(block)
    return digest.hexdigest()


def batch_id_for(path: Path, file_hash: str) -> str:
    """`b<NN>_<YYYY-MM-DD>` from a name `<table>__b<NN>_<YYYY-MM-DD>.<ext>`,
    else the first 12 hex digits of the content's sha256."""
    match = _BATCH_RE.match(path.stem)
    return match.group("batch") if match else file_hash[:12]


def discover(landing_dir: Path) -> list[Path]:
    """Files of landing_dir in sorted path order, symbolic links after every
    real file (a link to a landed file is then the skipped copy, and the rows
    keep the real file's name), hidden files and the generator's report
    skipped. Symbolic links are listed but never walked
    into: a linked folder is listed as itself (the loader refuses it), a
    linked file is listed (the loader refuses it when its target lies
    outside landing_dir)."""
    if not landing_dir.is_dir():
        return []
    found = []
    for dirpath, dirnames, filenames in os.walk(landing_dir, followlinks=False):
        here = Path(dirpath)
        linked = [d for d in dirnames if (here / d).is_symlink()]
        dirnames[:] = [d for d in dirnames if d not in linked]
        for name in [*filenames, *linked]:
            path = here / name
            rel = path.relative_to(landing_dir)
            if any(part.startswith(".") for part in rel.parts):
                continue
            if len(rel.parts) == 1 and rel.name in IGNORED_TOP_LEVEL:
                continue
            if not path.is_symlink() and not path.is_file():
                continue  # sockets, fifos
            found.append(path)
    return sorted(found, key=lambda p: (p.is_symlink(), p.relative_to(landing_dir).as_posix()))


def symlink_refusal(path: Path, landing_dir: Path) -> str | None:
    """Why a symbolic link in landing/ is refused, else None. A linked folder
    is always refused; a linked file is followed only when its target lies
    inside landing_dir. The target is never opened here."""
    if not path.is_symlink():
        return None
    if not path.exists():
        return "a broken symbolic link (its target does not exist); land the file itself"
    if path.is_dir():
        return (
            "a symbolic link to a folder: table folders must be real folders inside the"
            " landing folder; nothing in it was read (copy the files in instead)"
        )
    target = path.resolve()
    if not target.is_relative_to(landing_dir.resolve()):
        return (
            "a symbolic link to a file outside the landing folder: it was not read, copied"
            " or loaded; copy the file into the landing folder instead"
        )
    return None


def file_place(rel: str) -> tuple[str | None, str | None]:
    """The folder and format a landed file's name and place give it: a file
    rejected for its place does not block the same bytes under another one."""
    parts = rel.split("/")
    folder = parts[0] if len(parts) == 2 else None
    return folder, FORMATS.get(Path(rel).suffix.lower())


def resolve_table(contract: Contract, path: Path, rel: str) -> tuple[Table, str]:
    """The contract table (from the folder) and the format (from the
    extension) of a landed file; FileRejected when either is unknown."""
    parts = rel.split("/")
    if len(parts) != 2:
        raise FileRejected(
            "not in a table folder: files must be landing/<table>/<file> with <table> one"
            f" of the contract tables ({', '.join(contract.names)})"
        )
    try:
        table = contract.table(parts[0])
    except KeyError:
        raise FileRejected(
            f"unknown table folder '{parts[0]}': it is not a table of the raw contract"
            f" (known: {', '.join(contract.names)})"
        ) from None
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise FileRejected(
            f"unknown file extension '{path.suffix}': expected one of {', '.join(FORMATS)}"
        )
    return table, fmt


class FileStat(NamedTuple):
    """A file's stat, taken before its hash and compared after its read."""

    size: int
    mtime_ns: int
    #: modification and change times, inode and device: a file whose size and
    #: stamp equal those its ledger row holds was not written since (the change
    #: time moves with every write, and also when a tool sets the modification
    #: time back), so the loader skips it without hashing it again
    stamp: str


def file_stat(path: Path) -> FileStat:
    """The stat of a file (FileStat)."""
    st = path.stat()
    stamp = f"{st.st_mtime_ns}:{st.st_ctime_ns}:{st.st_ino}:{st.st_dev}"
    return FileStat(st.st_size, st.st_mtime_ns, stamp)


def file_change(path: Path, before: FileStat) -> str | None:
    """How the file changed since `before` (its size or mtime), or None."""
    try:
        now = file_stat(path)
    except OSError:
        return "it was renamed or removed"
    if now.size != before.size:
        return f"{before.size:,} bytes when hashed, {now.size:,} bytes after the read"
    if now.mtime_ns != before.mtime_ns:
        return "it was modified during the read"
    return None


def new_tables(
    contract: Contract, files: list[Path], landing_dir: Path, recorded: set[tuple[str, int, str]]
) -> list[Table]:
    """The contract tables of `files` (in their order, each once) that hold a
    file the ledger does not hold unchanged (`recorded`: its (path, bytes,
    stamp)); links and files outside a table folder are left out."""
    out: list[Table] = []
    for path in files:
        rel = path.relative_to(landing_dir).as_posix()
        try:
            if path.is_symlink():
                continue
            stat = file_stat(path)
            table, _ = resolve_table(contract, path, rel)
        except (OSError, FileRejected):
            continue
        if not held_unchanged(rel, stat, recorded) and table not in out:
            out.append(table)
    return out


def held_unchanged(rel: str, stat: FileStat, recorded: set[tuple[str, int, str]]) -> bool:
    """Whether the ledger holds the file at `rel` with this size and stamp
    (`recorded`: ledger.recorded_stats), so that the loader skips it unread
    (ledger.unchanged_file asks the same of one file in SQL)."""
    return (rel, stat.size, stat.stamp) in recorded
