"""crm_dev.lint_sql: `make lint-sql` fails when sqlfluff skipped a file."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from crm_dev.lint_sql import main, skip_warnings

#: sqlfluff 4.4's line for the file it could not slice (dq_missing_references.sql
#: before 701f01d, as `make lint-sql` printed it)
MISMATCH = "WARNING    Length of templated file mismatch with final slice: 11414 != 380."


def test_the_warnings_of_a_skipped_file_are_found() -> None:
    output = "\n".join(
        [
            "== [models/marts/x.sql] PASS",
            MISMATCH,
            "WARNING    Unable to lint models/y.sql due to an internal error.",
            "Length of file 'z.sql' is 30000 bytes which is over the limit of 20000 bytes."
            " Skipping to avoid parser lock.",
            "All Finished!",
        ]
    )
    assert len(skip_warnings(output)) == 3
    assert skip_warnings("== [models/marts/x.sql] PASS\nAll Finished!") == []


def _fake_sqlfluff(tmp_path: Path, output: str, code: int) -> list[str]:
    script = tmp_path / "fake_sqlfluff.py"
    script.write_text(f"import sys\nprint({output!r})\nsys.exit({code})\n")
    return [sys.executable, str(script)]


@pytest.mark.parametrize(
    ("output", "code", "expected"),
    [
        ("== [a.sql] PASS\nAll Finished!", 0, 0),
        (f"== [a.sql] PASS\n{MISMATCH}\nAll Finished!", 0, 1),  # listed as passed, not linted
        ("== [a.sql] FAIL\nL: 1 | P: 1 | LT02 | Expected indent", 1, 1),
    ],
)
def test_lint_sql_fails_on_a_skipped_file_and_passes_sqlfluffs_output_through(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], output: str, code: int, expected: int
) -> None:
    assert main(["models"], command=_fake_sqlfluff(tmp_path, output, code)) == expected
    captured = capsys.readouterr()
    assert output.splitlines()[0] in captured.out
    assert ("did not lint every file" in captured.err) == (MISMATCH in output)


def test_lint_sql_stops_without_the_rust_parser(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without sqlfluffrs, sqlfluff would lint with its slower Python parser
    without a word: lint-sql says so and lints nothing."""
    monkeypatch.setattr("crm_dev.lint_sql.RUST_PARSER", "sqlfluffrs_not_installed_here")
    output = "== [a.sql] PASS"
    assert main(["models"], command=_fake_sqlfluff(tmp_path, output, 0)) == 2
    captured = capsys.readouterr()
    assert "sqlfluff[rs]" in captured.err
    assert output not in captured.out  # sqlfluff never ran: its output would pass through


def test_the_dev_install_has_the_rust_parser() -> None:
    """`.sqlfluff` asks for the Rust parser and `make install` installs it."""
    from sqlfluff.core.parser import lexer

    assert lexer._HAS_RUST_LEXER
