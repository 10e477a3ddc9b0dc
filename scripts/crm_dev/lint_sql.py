"""`make lint-sql`: sqlfluff lint, failing also when sqlfluff skipped a file.

sqlfluff's dbt templater cannot map some rendered files back to their source
(a Jinja for-else loop was one): it logs "Length of templated file mismatch
with final slice", lints none of the file and still lists it as passed, with
exit code 0. A warning nobody reads let one model go unlinted for weeks. This
runs sqlfluff, shows its output unchanged, and fails when that output holds a
warning of a file sqlfluff did not lint (SKIP_WARNINGS), naming the warning.
It also stops before linting when sqlfluff's Rust parser (sqlfluffrs, the
`sqlfluff[rs]` extra that `.sqlfluff` asks for) is not installed: sqlfluff
would fall back to its slower Python parser without a word.

    python -m crm_dev.lint_sql models analyses tests
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from collections.abc import Sequence

#: Fragments of sqlfluff's log lines that mean a file was not (wholly) linted.
SKIP_WARNINGS = (
    "Length of templated file mismatch with final slice",  # the templater gave up on it
    "Unable to lint",  # an internal error on the file
    "Skipping to avoid parser lock",  # larger than large_file_skip_byte_limit
)


def skip_warnings(output: str) -> list[str]:
    """The lines of sqlfluff's output that say a file was not linted."""
    return [line.strip() for line in output.splitlines() if any(w in line for w in SKIP_WARNINGS)]


#: The module of sqlfluff's Rust lexer and parser (the `rs` extra).
RUST_PARSER = "sqlfluffrs"


def main(argv: Sequence[str], command: Sequence[str] = (sys.executable, "-m", "sqlfluff")) -> int:
    """sqlfluff lint of `argv`, its output passed through as it comes; the
    exit code is sqlfluff's, or 1 when it skipped a file, or 2 when the Rust
    parser is not installed."""
    if importlib.util.find_spec(RUST_PARSER) is None:
        sys.stderr.write(
            f"lint-sql: {RUST_PARSER} (sqlfluff's Rust parser, the sqlfluff[rs] extra in"
            " pyproject.toml) is not installed; `make install` installs it.\n"
        )
        return 2
    skipped: list[str] = []
    with subprocess.Popen(
        [*command, "lint", *argv], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    ) as proc:
        assert proc.stdout is not None
        for line in proc.stdout:
            sys.stdout.write(line)
            skipped.extend(skip_warnings(line))
    if skipped:
        sys.stdout.flush()
        sys.stderr.write(
            "\nlint-sql: sqlfluff did not lint every file (it lists them as passed):\n"
            + "".join(f"  {line}\n" for line in skipped)
            + "Find the file with `sqlfluff lint -v --processes 1 <folder>` and rewrite the"
            " Jinja it cannot slice (e.g. a for-else loop as an if around the loop).\n"
        )
        return proc.returncode or 1
    return proc.returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
