"""One dbt parse shared by every warehouse of the project.

dbt parses the project once per target folder and keeps the result in
`<target>/partial_parse.msgpack`; the next command reads it and re-parses only
the files that changed. It throws the file away when the connection profile
differs, and the profile holds the DuckDB file's path: every new warehouse (an
import, a test, the benchmark's) paid a full parse of the project (about 9 CPU
seconds) although nothing in the parse depends on where the file lives.

Two things change that, both only for dbt run from crm_warehouse:

- `path_free_profile_hash`: the profile's fingerprint in dbt's state check
  takes the DuckDB file's name instead of its full path. The name stays in
  it because it is the database name the parsed nodes carry (`crm` for
  `crm.duckdb`). The project reads `target.path` only when a node runs, never
  while parsing, so the path cannot change a parse. The project's own folder
  goes in instead: a parse holds absolute paths (a seed's CSV is read from
  its node's `root_path`), so a project moved or copied elsewhere with its
  `target/` must parse in full once, not load seeds from the old folder
  (dbt's own check has no such field). Every other check dbt makes stays as
  it is: dbt's version, the command's vars, the profile's other settings,
  dbt_project.yml, each file's checksum and the environment variables files
  read while parsing.
- `seed` / `keep`: a warehouse folder without a parse of its own starts from
  the last one any warehouse of this project kept (`target/parse_cache/`)
  with the same `--vars` (`kept_parse`), and every successful parse is kept
  there. dbt then decides, with the checks above, what it can reuse: nothing
  when they differ (a full parse, as before).

A `dbt` command typed by hand computes the fingerprint with the path: the
first such command after a refresh of the same folder (or the reverse)
parses in full once.
"""

from __future__ import annotations

import hashlib
import os
import pprint
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

#: dbt's name of its parse file in a target folder.
PARSE_FILE = "partial_parse.msgpack"


def cache_file(project_root: Path, name: str = PARSE_FILE) -> Path:
    """A file every warehouse of the project shares (`target/parse_cache/`):
    by default the parse they start from."""
    return project_root / "target" / "parse_cache" / name


def path_free_profile_hash() -> None:
    """Make dbt's profile fingerprint ignore the folder of a DuckDB file and
    hold the project's folder instead (idempotent)."""
    from dbt.parser.manifest import ManifestLoader

    if getattr(ManifestLoader.build_manifest_state_check, "_crm_path_free", False):
        return
    original = ManifestLoader.build_manifest_state_check

    def build_manifest_state_check(self: ManifestLoader):  # type: ignore[no-untyped-def]
        state = original(self)
        state.profile_hash = profile_hash(
            list(self.root_project.credentials.connection_info()),
            self.root_project.project_root,
        )
        return state

    build_manifest_state_check._crm_path_free = True  # type: ignore[attr-defined]
    ManifestLoader.build_manifest_state_check = build_manifest_state_check  # type: ignore[method-assign]


def profile_hash(  # type: ignore[no-untyped-def]
    connection_keys: list[tuple[str, object]], project_root: str | None = None
):
    """dbt's fingerprint of the connection (`pprint` of the sorted key/value
    pairs, as ManifestLoader computes it), with a `path` reduced to its name
    and, when given, the project's folder as one more pair."""
    from dbt.contracts.files import FileHash

    keys = sorted(
        (key, os.path.basename(value) if key == "path" and isinstance(value, str) else value)
        for key, value in connection_keys
    )
    if project_root is not None:
        keys.append(("crm_project_root", str(project_root)))
    return FileHash.from_contents(pprint.pformat(keys))


def kept_parse(project_root: Path, dbt_vars: str | None = None) -> Path:
    """The project's kept parse for a command's `--vars` (None: none given).

    dbt parses again in full when the vars differ from its parse's, so each
    set of vars keeps its own: builds with other vars (the benchmark's and the
    test command's lookbacks, a test's severity) no longer replace the parse
    every build without vars starts from."""
    if dbt_vars is None:
        return cache_file(project_root)
    key = hashlib.sha256(dbt_vars.encode("utf-8")).hexdigest()[:16]
    return cache_file(project_root, f"{PARSE_FILE.removesuffix('.msgpack')}.vars-{key}.msgpack")


def vars_of(args: Sequence[str]) -> str | None:
    """The value of dbt's `--vars` in a command's arguments (None when absent)."""
    for i, arg in enumerate(args):
        if arg == "--vars" and i + 1 < len(args):
            return args[i + 1]
        if arg.startswith("--vars="):
            return arg.removeprefix("--vars=")
    return None


def seed(project_root: Path, target: Path, dbt_vars: str | None = None) -> bool:
    """Give a target folder without a parse the project's kept one for these
    vars; True when one was copied (dbt still checks it before using any of it)."""
    kept = kept_parse(project_root, dbt_vars)
    own = target / PARSE_FILE
    if own.exists() or not kept.is_file() or own == kept:
        return False
    target.mkdir(parents=True, exist_ok=True)
    _copy_atomically(kept, own)
    return True


def keep(project_root: Path, target: Path, dbt_vars: str | None = None) -> None:
    """Keep the target folder's parse as the project's for these vars
    (replaced whole, so a process reading it sees the old file or the new one)."""
    own = target / PARSE_FILE
    if own.is_file():
        _copy_atomically(own, kept_parse(project_root, dbt_vars))


def _copy_atomically(source: Path, destination: Path) -> None:
    with replaced_atomically(destination) as temporary:
        shutil.copyfile(source, temporary)


@contextmanager
def replaced_atomically(destination: Path) -> Iterator[Path]:
    """A temporary file beside `destination` for the block to write; it then
    replaces `destination` in one rename (a reader sees the old file or the
    new one, never half of it), or is removed when the block raises."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(dir=destination.parent, prefix=f".{destination.name}.")
    os.close(handle)
    temporary = Path(name)
    try:
        yield temporary
        os.replace(temporary, destination)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
