"""What a load reports: the status of each landed file (FileLoad), the totals
of a load (LoadSummary), the running counters of the file being loaded
(FileState) and FileRejected, the error that sets a whole file aside.
"""

from __future__ import annotations

import bisect
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

import numpy as np

from crm_warehouse.ingest.contract import Table
from crm_warehouse.settings import DateWindow

#: Row-level messages kept per file in the summary (all rows are in quarantine).
MAX_ROW_MESSAGES = 200

STATUS_LOADED = "loaded"
STATUS_SKIPPED = "skipped_duplicate_file"
STATUS_REJECTED = "rejected"
#: The file changed (size or mtime) between its hash and the end of its read:
#: nothing of it is loaded and nothing recorded, so it loads whole next time.
STATUS_CHANGING = "skipped_changing_file"


@dataclass
class FileLoad:
    """What happened to one landed file."""

    path: str
    table: str | None
    batch_id: str | None
    status: str
    rows_landed: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    messages: list[str] = field(default_factory=list)
    file_hash: str = ""
    #: wall-clock seconds per phase (hash, read, validate, quarantine, insert, finish, total)
    seconds: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class LoadSummary:
    """Every file of one load_landing() call, with totals."""

    files: list[FileLoad] = field(default_factory=list)

    def _count(self, status: str) -> int:
        return sum(1 for f in self.files if f.status == status)

    @property
    def rows_landed(self) -> int:
        return sum(f.rows_landed for f in self.files)

    @property
    def rows_loaded(self) -> int:
        return sum(f.rows_loaded for f in self.files)

    @property
    def rows_quarantined(self) -> int:
        return sum(f.rows_quarantined for f in self.files)

    @property
    def totals(self) -> dict[str, int]:
        return {
            "files": len(self.files),
            "files_loaded": self._count(STATUS_LOADED),
            "files_skipped": self._count(STATUS_SKIPPED),
            "files_rejected": self._count(STATUS_REJECTED),
            "files_changing": self._count(STATUS_CHANGING),
            "rows_landed": self.rows_landed,
            "rows_loaded": self.rows_loaded,
            "rows_quarantined": self.rows_quarantined,
        }

    @property
    def messages(self) -> list[str]:
        return [m for f in self.files for m in f.messages]

    def to_dict(self) -> dict[str, Any]:
        return {"files": [f.to_dict() for f in self.files], "totals": self.totals}


class FileRejected(Exception):
    """A structural problem: the whole file is rejected."""


@dataclass
class FileState:
    """Counters and bookkeeping while one file streams."""

    rel: str
    table: Table
    batch_id: str
    file_hash: str
    started_at: datetime
    rows_landed: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    #: (row read or None for a bad line, message after the file name)
    row_messages: list[tuple[int | None, str]] = field(default_factory=list)
    #: the file's row numbers of the records the read left out (bad lines, and
    #: blank lines of JSON lines), sorted: rows read are numbered around them
    skipped_rows: list[int] = field(default_factory=list)
    extra_messages: int = 0
    rule_counts: Counter[tuple[str, str]] = field(default_factory=Counter)
    unique_flagged: set[int] = field(default_factory=set)
    seconds: Counter[str] = field(default_factory=Counter)
    #: dates and timestamps outside it are quarantined (rule date_window)
    date_window: DateWindow | None = None
    #: the file's size when hashed (kept in the ledger: a grown file is told apart)
    file_bytes: int | None = None
    #: its files.FileStat stamp when hashed (kept in the ledger: the next load
    #: skips the file unhashed while size and stamp stay the same)
    file_stamp: str | None = None
    #: {column: open-end dates (9999-12-31) loaded as null} (contract meta open_end)
    open_ends: Counter[str] = field(default_factory=Counter)

    @contextmanager
    def timed(self, phase: str) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[phase] += time.perf_counter() - start

    pk_hashes: list[np.ndarray] = field(default_factory=list)

    def add_message(self, row: int, column: str, reason: str) -> None:
        """The message of a value of the `row`-th row read (numbered as the
        file's row once the rows the read left out are known: file_row)."""
        if len(self.row_messages) < MAX_ROW_MESSAGES:
            self.row_messages.append((row, f"column {column}: {reason} (row quarantined)"))
        else:
            self.extra_messages += 1

    def add_line_message(self, line: int, reason: str) -> None:
        """The message of a line that could not be read as a row."""
        if len(self.row_messages) < MAX_ROW_MESSAGES:
            self.row_messages.append((None, f"line {line}: {reason} (row quarantined)"))
        else:
            self.extra_messages += 1

    def file_row(self, row: int) -> int:
        """The file's row number of the `row`-th row read: the rows the read
        left out before it (skipped_rows) counted."""
        below = bisect.bisect_right(self._gaps, row)
        return row + below

    @property
    def _gaps(self) -> list[int]:
        # the k-th skipped row (0-based) comes after skipped_rows[k] - k - 1 rows read
        return [r - k for k, r in enumerate(self.skipped_rows)]

    def messages(self) -> list[str]:
        """The row and line messages, rows numbered as in the file."""
        return [
            f"{self.rel}: row {self.file_row(row)}, {text}"
            if row is not None
            else f"{self.rel}: {text}"
            for row, text in self.row_messages
        ]
