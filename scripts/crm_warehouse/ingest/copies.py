"""Files whose bytes a load met before: earlier in this run (every lane of
it) or in an earlier run (the ledger). The first such file loads; a copy is
skipped with a message naming the first, except that a rejection blocks the
same bytes only at the same place (folder and format)."""

from __future__ import annotations

import duckdb

from crm_warehouse.ingest.files import file_place
from crm_warehouse.ingest.ledger import earlier_load
from crm_warehouse.ingest.results import (
    STATUS_CHANGING,
    STATUS_LOADED,
    STATUS_REJECTED,
    STATUS_SKIPPED,
    FileLoad,
)

Place = tuple[str | None, str | None]


class Copies:
    """The files one load run has met, by their sha256."""

    def __init__(self) -> None:
        #: sha256 -> (result, place) of the files met in this run (not all committed yet)
        self._seen: dict[str, tuple[FileLoad, Place]] = {}
        #: (skipped copy, first file) of this run: worded once the first is done
        self._in_run: list[tuple[FileLoad, FileLoad]] = []

    def skipped(self, con: duckdb.DuckDBPyConnection, result: FileLoad, rel: str) -> bool:
        """Whether the file's content was met earlier in this run or an earlier
        one; if so `result` says it is skipped."""
        file_hash = result.file_hash
        place = file_place(rel)
        earlier = self._seen.get(file_hash)
        if earlier is not None and (earlier[0].status != STATUS_REJECTED or earlier[1] == place):
            result.status = STATUS_SKIPPED
            self._in_run.append((result, earlier[0]))  # worded once the first has loaded
            return True
        prior = earlier_load(con, file_hash)
        if prior and (prior[1] != STATUS_REJECTED or file_place(prior[0]) == place):
            source, status, finished, message = prior
            result.status = STATUS_SKIPPED
            same = "" if source == rel else f" as {source}"
            note = f": {message}" if status == STATUS_REJECTED and message else ""
            result.messages.append(
                f"{rel}: skipped: the same content (sha256 {file_hash[:12]}) was already"
                f" processed{same} on {finished:%Y-%m-%d %H:%M:%S} UTC with status {status}{note}"
            )
            return True
        self._seen[file_hash] = (result, place)
        return False

    def word_in_run_skips(self) -> None:
        """The message of each file skipped as a copy of one met earlier in this run."""
        for skipped, first in self._in_run:
            done = {
                STATUS_LOADED: "loaded in this run",
                STATUS_REJECTED: "rejected in this run",
                STATUS_CHANGING: "which changed while it was loading; it loads on the next load",
            }.get(first.status, f"{first.status} in this run")
            skipped.messages.append(
                f"{skipped.path}: skipped: the same content (sha256 {skipped.file_hash[:12]})"
                f" as {first.path}, {done}"
            )
        self._in_run.clear()
