"""dbt's file log (`logs/dbt.log`) written from dbt's events, at its level only.

dbt's own file logger formats every event in its debug line format and
scrubs it for secrets (a walk over the environment each time), and only then
lets Python's logging drop it for being below the file level. A build fires
about 18 events per data test and more per model, nearly all at debug: the
979 data tests of the 9,240-row import fired 17,700 events, and formatting
the ones nobody keeps cost 3.1 s of their 29.6 s (profiled,
docs/performance.md). run_dbt therefore turns dbt's file logger off
(`--log-level-file none`) and hands this callback to dbtRunner instead: it
looks at the level first and writes only lines at or above it, in dbt's
line format, scrubbed the same way. At `debug` (DBT_LOG_LEVEL_FILE=debug,
every SQL statement) dbt's own logger writes the file as before.

    with FileLog(settings.root / "logs" / "dbt.log", "info") as log:
        dbtRunner(callbacks=[log]).invoke([...])
"""

from __future__ import annotations

import logging
import os
from datetime import datetime
from logging.handlers import RotatingFileHandler
from pathlib import Path
from typing import Any

from dbt_common.exceptions.base import env_secrets, scrub_secrets

#: dbt's event levels as Python logging levels (dbt_common.events.logger)
LEVELS = {"debug": 10, "test": 10, "info": 20, "warn": 30, "error": 40}
#: dbt's defaults for its file log: 10 MB a file, five old files kept
MAX_BYTES = 10 * 1024 * 1024
BACKUPS = 5


def log_path(args: list[str], root: Path) -> Path:
    """Where dbt would write dbt.log: `--log-path`, else DBT_LOG_PATH, else
    the project's logs/."""
    if "--log-path" in args:
        return Path(args[args.index("--log-path") + 1]) / "dbt.log"
    return Path(os.environ.get("DBT_LOG_PATH") or root / "logs") / "dbt.log"


class FileLog:
    """A dbtRunner callback writing events at `level` or above to `path`."""

    def __init__(self, path: Path, level: str) -> None:
        self.minimum = LEVELS[level]
        # the environment's secrets, read once per dbt call (dbt reads them per line)
        self.secrets = env_secrets()
        path.parent.mkdir(parents=True, exist_ok=True)
        self.handler = RotatingFileHandler(
            path, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf8"
        )
        self.handler.setFormatter(logging.Formatter("%(message)s"))

    def __call__(self, event: Any) -> None:
        info = event.info
        if LEVELS.get(info.level, 20) < self.minimum:
            return
        when = datetime.fromtimestamp(info.ts.seconds + info.ts.nanos / 1e9)
        line = f"{when:%H:%M:%S.%f} [{info.level:<5}] [{info.thread[:10]}]: "
        line += str(scrub_secrets(info.msg, self.secrets))
        if info.name == "MainReportVersion":
            # dbt's separator at the start of each invocation
            line = f"\n\n{'=' * 30} {when:%H:%M:%S.%f} | {info.invocation_id} {'=' * 30}\n{line}"
        # handle() takes the handler's lock: dbt's threads call back concurrently
        self.handler.handle(logging.makeLogRecord({"msg": line}))

    def __enter__(self) -> FileLog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.handler.close()
