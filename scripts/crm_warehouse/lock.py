"""One writer at a time: OS file locks held by refresh, import and publish.

Two refreshes of the same warehouse, or two publishes into the same folder,
would overwrite each other's files. Each job therefore holds an exclusive OS
lock (`fcntl.flock`, `msvcrt.locking` on Windows) on a small file:

- `<warehouse>.lock` beside the warehouse file (e.g. `warehouse/crm.duckdb.lock`),
  held by refresh, import, load, build and publish for their whole run;
- `<publish_dir>/.publish.lock`, held while files are written into the publish
  folder by a publish or a dashboard (a second warehouse publishing into the
  same folder is refused too).

The lock is never waited for: a second job stops at once with a message that
names the holder (pid, command, start time) and exits with `EXIT_LOCKED`. The
OS releases the lock when its process ends, even by SIGKILL, so a killed
refresh never leaves a stale lock behind. The lock files themselves stay (an
unlinked lock file could be locked twice); they hold who has the lock (JSON:
command, pid, start time), and are emptied when it is released.

Locks are reentrant within a process: a refresh holding the warehouse lock
calls publish, which asks for the same lock again.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

#: Exit code of a command refused because another job holds the lock
#: (EX_TEMPFAIL of sysexits.h: a temporary failure, try again later).
EXIT_LOCKED = 75

PUBLISH_LOCK = ".publish.lock"


class LockBusy(RuntimeError):
    """Another process holds the lock; nothing was changed."""

    def __init__(self, path: Path, holder: dict[str, object]) -> None:
        what = holder.get("command") or "job"
        pid = holder.get("pid") or "unknown"
        started = holder.get("started_at") or "an unknown time"
        super().__init__(
            f"another {what} (pid {pid}, started at {started}) holds {path}; try again when it ends"
        )
        self.path = path
        self.holder = holder


#: path -> [fd, depth] of the locks this process holds.
_held: dict[Path, list[int]] = {}


def warehouse_lock_path(warehouse: Path) -> Path:
    return warehouse.with_name(warehouse.name + ".lock")


def publish_lock_path(publish_dir: Path) -> Path:
    return publish_dir / PUBLISH_LOCK


def _try_lock(fd: int) -> bool:
    if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
        import msvcrt

        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    import fcntl

    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _unlock(fd: int) -> None:
    if sys.platform == "win32":  # pragma: no cover
        import msvcrt

        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
    else:
        import fcntl

        fcntl.flock(fd, fcntl.LOCK_UN)


def read_holder(path: Path) -> dict[str, object]:
    """Who holds (or last held) the lock at `path`, as written by the holder."""
    try:
        data = json.loads(path.read_text() or "{}")
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _alive(pid: object) -> bool:
    if not isinstance(pid, int) or pid <= 0:
        return False
    if sys.platform == "win32":  # pragma: no cover - os.kill(pid, 0) would end it there
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _live_holder(path: Path, seconds: float = 2.0) -> dict[str, object]:
    """The holder of a lock we could not take. It writes who it is just after
    locking, so for a moment the file may still be empty or name a killed
    holder: read again until it names a live process (at most `seconds`)."""
    import time

    deadline = time.monotonic() + seconds
    holder = read_holder(path)
    while not _alive(holder.get("pid")) and time.monotonic() < deadline:
        time.sleep(0.02)
        holder = read_holder(path)
    return holder


def is_held(path: Path) -> bool:
    """True when this process holds the lock at `path`."""
    return path.resolve() in _held


@contextmanager
def exclusive(path: Path, command: str) -> Iterator[Path]:
    """Hold the lock at `path` for the block; raise LockBusy at once if another
    process holds it. `command` (refresh, import, publish) is what a refused
    job is told the holder is doing."""
    key = path.resolve()
    if key in _held:
        _held[key][1] += 1
        try:
            yield path
        finally:
            _held[key][1] -= 1
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        if not _try_lock(fd):
            raise LockBusy(path, _live_holder(path))
    except BaseException:
        os.close(fd)
        raise
    try:
        holder = {
            "command": command,
            "pid": os.getpid(),
            "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "argv": sys.argv,
        }
        data = (json.dumps(holder) + "\n").encode()
        os.ftruncate(fd, 0)
        os.pwrite(fd, data, 0) if hasattr(os, "pwrite") else os.write(fd, data)
        _held[key] = [fd, 1]
        yield path
    finally:
        _held.pop(key, None)
        try:
            os.ftruncate(fd, 0)  # a job refused later never reads a finished holder
            _unlock(fd)
        finally:
            os.close(fd)


@contextmanager
def warehouse_lock(warehouse: Path, command: str) -> Iterator[Path]:
    """The lock of a warehouse file: one refresh, import or publish at a time."""
    with exclusive(warehouse_lock_path(warehouse), command) as path:
        yield path


@contextmanager
def publish_lock(warehouse: Path, publish_dir: Path, command: str = "publish") -> Iterator[None]:
    """The warehouse's lock, then the publish folder's (always in this order)."""
    with warehouse_lock(warehouse, command), exclusive(publish_lock_path(publish_dir), command):
        yield


def clear_folder(folder: Path, keep: Path) -> None:
    """Delete everything under `folder` but the file `keep` (a lock held on it:
    deleting a held lock file would let the next job lock a new file at the same
    path while this one still runs)."""
    import shutil

    keep = keep.resolve()
    for child in folder.iterdir():
        resolved = child.resolve() if not child.is_symlink() else child
        if resolved == keep:
            continue
        if child.is_dir() and not child.is_symlink() and keep.is_relative_to(resolved):
            clear_folder(child, keep)
        elif child.is_dir() and not child.is_symlink():
            shutil.rmtree(child)
        else:
            child.unlink()
