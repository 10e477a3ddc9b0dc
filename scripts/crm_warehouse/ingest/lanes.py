"""Landing folders loaded side by side, one lane (a thread) per core.

GX holds Python's GIL for about a quarter of a load; DuckDB's reads, inserts
and commits, pyarrow's checks and the file hashes release it. One file at a
time left the second core mostly idle (85 CPU seconds in 73 s at scale 10),
so the loader runs lanes: each a thread with its own DuckDB cursors, loading
one landing folder after another, each file in its own transaction as always.

What stays as it was:

- a folder's files load in path order, in one lane: the rows of a table
  arrive in the order they always did, consecutive small files are still
  validated together, and a file met twice in one folder is skipped the
  same way;
- folders holding files of the same size share a lane, their files in path
  order: only same-size files can hold the same bytes, and which of two copies
  loads first decides which one is skipped;
- symbolic links load last, one after another, as `files.discover` orders
  them (a link to a landed file is the skipped copy);
- the results come back in the files' order;
- a load of fewer than MIN_NEW_BYTES of new files runs in one lane.

A lane that fails stops the others before their next file; the error is raised
once every lane has stopped (each file's transaction committed or rolled back).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from crm_warehouse.ingest.files import file_stat, held_unchanged

if TYPE_CHECKING:
    from crm_warehouse.ingest.results import FileLoad

Progress = Callable[[str, int, int], None]


class Loader(Protocol):
    """What a lane needs of the loader (crm_warehouse.ingest.load)."""

    def run_files(
        self, files: list[Path], progress: Progress | None, stop: Callable[[], bool] | None = None
    ) -> list[FileLoad]: ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class Plan:
    """Positions in the file list: the lanes' tasks, largest first (each a
    list of positions in path order), and the files loaded after them."""

    tasks: list[list[int]]
    after: list[int]


#: Fewer new bytes than this load in one lane: a small batch's time is GX's
#: calls and Python, which hold the GIL, and two lanes only contend for it
#: (measured: docs/performance.md, "The loader in two lanes").
MIN_NEW_BYTES = 16 * 2**20


def plan(files: list[Path], landing_dir: Path, recorded: set[tuple[str, int, str]]) -> Plan | None:
    """How `files` (in `files.discover` order) split into lanes, or None when
    they make fewer than two tasks or hold fewer than MIN_NEW_BYTES of new
    content (one lane: the loader's plain order). `recorded`: (path, bytes,
    stamp) of the files the ledger holds, which the loader skips unread."""
    folder_of: dict[int, str] = {}
    size_of: dict[int, int] = {}
    new_bytes: dict[int, int] = {}
    after: list[int] = []
    for i, path in enumerate(files):
        if path.is_symlink():
            after.append(i)
            continue
        rel = path.relative_to(landing_dir)
        folder_of[i] = rel.parts[0] if len(rel.parts) > 1 else ""
        try:
            stat = file_stat(path)
        except OSError:  # gone since it was listed: the loader says so
            size_of[i], new_bytes[i] = -1 - i, 0
            continue
        size_of[i] = stat.size
        new_bytes[i] = 0 if held_unchanged(rel.as_posix(), stat, recorded) else stat.size
    # folders sharing a file size share a task (union-find on folder names)
    parent: dict[str, str] = {f: f for f in folder_of.values()}

    def root(folder: str) -> str:
        while parent[folder] != folder:
            parent[folder] = parent[parent[folder]]
            folder = parent[folder]
        return folder

    first_with_size: dict[int, str] = {}
    for i, folder in folder_of.items():
        other = first_with_size.setdefault(size_of[i], folder)
        parent[root(folder)] = root(other)
    tasks: dict[str, list[int]] = {}
    for i, folder in folder_of.items():
        tasks.setdefault(root(folder), []).append(i)
    if len(tasks) < 2 or sum(new_bytes.values()) < MIN_NEW_BYTES:
        return None
    ordered = sorted(tasks.values(), key=lambda t: (-sum(new_bytes[i] for i in t), t[0]))
    return Plan(ordered, after)


def run(
    the_plan: Plan,
    files: list[Path],
    new_loader: Callable[[], Loader],
    lanes: int,
    last: Loader,
    progress: Progress | None,
) -> list[FileLoad]:
    """Load the plan's tasks in up to `lanes` threads, each with a loader of
    its own from `new_loader` (each takes the next task, largest first), then
    the files loaded after them with `last`. Returns a result per file, in the
    files' order."""
    loaders = [new_loader() for _ in range(min(lanes, len(the_plan.tasks)))]
    try:
        return _run(the_plan, files, loaders, last, progress)
    finally:
        for loader in loaders:
            loader.close()


def _run(
    the_plan: Plan,
    files: list[Path],
    lane_loaders: list[Loader],
    last: Loader,
    progress: Progress | None,
) -> list[FileLoad]:
    results: dict[int, FileLoad] = {}
    lock = threading.Lock()
    pending = list(the_plan.tasks)
    failures: list[BaseException] = []
    stop = threading.Event()
    done = [0]

    def tick(rel: str, _i: int, _n: int) -> None:
        if progress is None:
            return
        with lock:
            progress(rel, done[0], len(files))
            done[0] += 1

    def lane(loader: Loader) -> None:
        try:
            while not stop.is_set():
                with lock:
                    if not pending:
                        return
                    task = pending.pop(0)
                got = loader.run_files([files[i] for i in task], tick, stop.is_set)
                results.update(zip(task, got, strict=False))  # fewer when stopped
        except BaseException as exc:  # raised in the caller's thread below
            failures.append(exc)
            stop.set()

    threads = [
        threading.Thread(target=lane, args=(loader,), name=f"crm-load-lane-{n}")
        for n, loader in enumerate(lane_loaders, start=1)
    ]
    for thread in threads:
        thread.start()
    try:
        for thread in threads:
            thread.join()
    except BaseException:  # Ctrl-C: the lanes finish their file and stop
        stop.set()
        for thread in threads:
            thread.join()
        raise
    if failures:
        raise failures[0]
    got = last.run_files([files[i] for i in the_plan.after], tick)
    results.update(zip(the_plan.after, got, strict=True))
    return [results[i] for i in range(len(files))]
