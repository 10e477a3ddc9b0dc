"""One bad line of a line-oriented file (CSV, JSON lines) quarantines that
row with its line number and a short reason, not the whole file (issue #18
item 9): mixed CRLF/LF line endings load, a lone CR inside a quoted value is
data, an over-long line is named with the limit (never its content), a bad
JSON line is quarantined alone; rows landed = loaded + quarantined."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from test_load import HEADER, csv_text, good_row, land, query
from typer.testing import CliRunner

import crm_warehouse.ingest.load as load_mod
from crm_warehouse import cli
from crm_warehouse.ingest.lines import MAX_LINE_BYTES
from crm_warehouse.ingest.load import load_landing
from crm_warehouse.settings import Settings


@pytest.fixture
def s(tmp_path: Path) -> Settings:
    return Settings.under(tmp_path)


def _env(s: Settings) -> dict[str, str]:
    return {
        "CRM_LANDING_DIR": str(s.landing_dir),
        "CRM_QUARANTINE_DIR": str(s.quarantine_dir),
        "CRM_DUCKDB_PATH": str(s.warehouse_path),
        "CRM_PUBLISH_DIR": str(s.publish_dir),
    }


def _load_cli(s: Settings) -> tuple[Any, Any]:
    """`crm-warehouse load` (exit code, output), then the one file's ledger row."""
    res = CliRunner().invoke(cli.app, ["load"], env=_env(s))
    (ledger,) = query(s, "select rows_landed, rows_loaded, rows_quarantined from raw._load_ledger")
    landed, loaded, quarantined = ledger
    assert landed == loaded + quarantined, ledger
    return res, ledger


def _lines(text: str) -> list[str]:
    return text.splitlines(keepends=True)


def test_mixed_crlf_and_lf_line_endings_load(s: Settings) -> None:
    cr_row = good_row(3)
    cr_row[1] = "first\rsecond"  # a quoted lone CR stays data in the normalised read
    text = csv_text(HEADER, [good_row(1), good_row(2), cr_row, good_row(4)])
    rows = _lines(text.replace("first\rsecond", '"first\rsecond"'))
    # header and rows 2, 4 end CRLF, rows 1 and 3 LF
    mixed = "".join(r.replace("\n", "\r\n") if i % 2 == 0 else r for i, r in enumerate(rows))
    land(s, "opportunities/mixed.csv", mixed)
    res, ledger = _load_cli(s)
    assert res.exit_code == 0, res.output
    assert ledger == (4, 4, 0)
    names = query(s, "select opportunity_name, is_deleted from raw.opportunities order by 1")
    assert names[0] == ('Deal, "1"', False)  # no CR left on the last value
    assert "state machine" not in res.output
    got = query(s, "select opportunity_name from raw.opportunities where opportunity_id = 'O3'")
    assert got == [("first\rsecond",)]


def test_lone_cr_inside_a_quoted_value_is_data(s: Settings) -> None:
    row = good_row(2)
    row[1] = "first\rsecond"
    text = csv_text(HEADER, [good_row(1), row, good_row(3)])
    assert '"first\rsecond"' not in text  # csv.writer does not quote a lone CR: quote it
    land(s, "opportunities/cr.csv", text.replace("first\rsecond", '"first\rsecond"'))
    res, ledger = _load_cli(s)
    assert res.exit_code == 0, res.output
    assert ledger == (3, 3, 0)
    got = query(s, "select opportunity_name from raw.opportunities where opportunity_id = 'O2'")
    assert got == [("first\rsecond",)]


def test_a_line_with_the_wrong_number_of_values_quarantines_only_its_row(s: Settings) -> None:
    text = csv_text(HEADER, [good_row(1), good_row(2)]) + "O3,short\n"
    text += csv_text(HEADER, [good_row(4)]).split("\n", 1)[1]
    land(s, "opportunities/few.csv", text)
    res, ledger = _load_cli(s)
    assert res.exit_code == 3, res.output
    assert ledger == (4, 3, 1)
    assert "opportunities/few.csv: line 4: the line has the wrong number of values" in res.output
    assert "(row quarantined)" in res.output
    (reason,) = query(s, "select reason from raw._quarantine where rule = 'line'")[0]
    assert reason.startswith("the line has the wrong number of values")


def test_an_over_long_field_names_the_line_and_the_limit_not_the_field(s: Settings) -> None:
    long_row = good_row(2)
    long_row[1] = "x" * (MAX_LINE_BYTES + 1000)
    land(s, "opportunities/long.csv", csv_text(HEADER, [good_row(1), long_row, good_row(3)]))
    res, ledger = _load_cli(s)
    assert res.exit_code == 3, res.output
    assert ledger == (3, 2, 1)
    expected = (
        f"opportunities/long.csv: line 3: the line is longer than the limit of {MAX_LINE_BYTES}"
    )
    assert expected in res.output
    assert "xxxxxxxxxx" not in res.output
    assert len(res.output) < 2000
    rejected = (s.quarantine_dir / "opportunities" / "long.csv.rejected.csv").read_text()
    assert "longer than the limit" in rejected and "xxxxxxxxxx" not in rejected


def test_an_over_long_field_in_a_file_with_mixed_line_endings(s: Settings) -> None:
    long_row = good_row(2)
    long_row[1] = "x" * (MAX_LINE_BYTES + 1000)
    text = csv_text(HEADER, [good_row(1), long_row, good_row(3)])
    land(s, "opportunities/long.csv", text.replace("\n", "\r\n", 1))  # header CRLF, rows LF
    res, ledger = _load_cli(s)
    assert res.exit_code == 3, res.output
    assert ledger == (3, 2, 1)
    assert "long.csv: line 3: the line is longer than the limit of" in res.output
    assert "xxxxxxxxxx" not in res.output


def _json_row(i: int) -> str:
    return json.dumps(dict(zip(HEADER, good_row(i), strict=True))) + "\n"


def test_one_bad_json_line_quarantines_only_that_line(s: Settings) -> None:
    text = _json_row(1) + '{"opportunity_id": "O2", "amount":\n' + "\n" + "[1, 2]\n" + _json_row(5)
    land(s, "opportunities/o.jsonl", text)
    res, ledger = _load_cli(s)
    assert res.exit_code == 3, res.output
    assert ledger == (4, 2, 2)  # the blank line 3 is not a row
    assert "opportunities/o.jsonl: line 2: the line is not valid JSON (" in res.output
    assert "opportunities/o.jsonl: line 4: the line is a JSON array, not an object" in res.output
    got = query(s, "select opportunity_id, amount from raw.opportunities order by 1")
    assert [r[0] for r in got] == ["O1", "O5"]
    assert str(got[0][1]) == "101.50"


def test_allow_rejects_exits_0_for_a_quarantined_line(s: Settings) -> None:
    land(s, "opportunities/few.csv", csv_text(HEADER, [good_row(1)]) + "O2\n")
    res = CliRunner().invoke(cli.app, ["load", "--allow-rejects"], env=_env(s))
    assert res.exit_code == 0, res.output
    assert "few.csv: line 3: the line has the wrong number of values" in res.output
    ledger = query(s, "select rows_landed, rows_loaded, rows_quarantined from raw._load_ledger")
    assert ledger == [(2, 1, 1)]
    summary = load_landing(s)  # already loaded: nothing new
    assert all(f.status == "skipped_duplicate_file" for f in summary.files)


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_a_bad_line_after_the_first_chunk_quarantines_only_its_row(s: Settings, fmt: str) -> None:
    """A streamed file's bad line is found when its read ends: the rows read
    after it are renumbered then, so every row keeps its number in the file."""
    good = [good_row(i) for i in range(1, 1500)]
    good[1399][3] = "-1"  # O1400, row 1401 of the file (after the bad row 1201)
    if fmt == "csv":
        text = csv_text(HEADER, good[:1200]) + "O9999,short\n"
        text += csv_text(HEADER, good[1200:]).split("\n", 1)[1]
        bad_line, reason = 1202, "the line has the wrong number of values"
    else:
        text = "".join(json.dumps(dict(zip(HEADER, r, strict=True))) + "\n" for r in good[:1200])
        text += '{"oops"\n'
        text += "".join(json.dumps(dict(zip(HEADER, r, strict=True))) + "\n" for r in good[1200:])
        bad_line, reason = 1201, "the line is not valid JSON"
    land(s, f"opportunities/big.{fmt}", text)
    with mock.patch.object(load_mod, "CHUNK_ROWS", 500):
        (f,) = load_landing(s).files
    assert (f.status, f.rows_landed, f.rows_loaded, f.rows_quarantined) == ("loaded", 1500, 1498, 2)
    assert any(
        m.startswith(f"opportunities/big.{fmt}: line {bad_line}: {reason}") for m in f.messages
    )
    assert any(
        m.startswith(f"opportunities/big.{fmt}: row 1401, column amount: value '-1'")
        for m in f.messages
    ), f.messages
    loaded = dict(query(s, "select opportunity_id, _source_row from raw.opportunities"))
    assert (loaded["O1200"], loaded["O1201"], loaded["O1499"]) == (1200, 1202, 1500)
    quarantined = query(s, "select source_row, rule from raw._quarantine order by 1")
    assert quarantined == [(1201, "line"), (1401, "min_value")], quarantined
    # row identity: every row of the file once, loaded or quarantined
    assert sorted([*loaded.values(), 1201, 1401]) == list(range(1, 1501))


@pytest.mark.parametrize("pipeline", [False, True])
def test_bad_lines_of_a_small_file_before_a_streamed_file(s: Settings, pipeline: bool) -> None:
    """A small file waits for its group's GX run while the next (bigger) file's
    read is already open: its bad lines must still be read and quarantined (the
    property test's 'connection has an open result' case, made by hand)."""
    small = good_row(2)
    small[2] = "Closed\nWon"  # a newline inside a quoted value: one row over two lines
    text = csv_text(HEADER, [good_row(1), small]) + "O3,short\n"
    land(s, "opportunities/a_small.csv", text)
    land(s, "opportunities/b_small.jsonl", _json_row(11) + "[1]\n")
    land(s, "opportunities/c_big.csv", csv_text(HEADER, [good_row(i) for i in range(20, 40)]))
    with (
        mock.patch.object(load_mod, "CHUNK_ROWS", 3),  # c_big.csv streams in 7 chunks
        mock.patch.object(load_mod, "PIPELINE", pipeline),
    ):
        files = load_landing(s).files
    got = [(f.path, f.status, f.rows_landed, f.rows_loaded, f.rows_quarantined) for f in files]
    assert got == [
        ("opportunities/a_small.csv", "loaded", 3, 2, 1),
        ("opportunities/b_small.jsonl", "loaded", 2, 1, 1),
        ("opportunities/c_big.csv", "loaded", 20, 20, 0),
    ]
    assert "opportunities/a_small.csv: line 5: the line has the wrong number of values" in (
        " ".join(files[0].messages)
    )
    stage = query(s, "select stage_name from raw.opportunities where opportunity_id = 'O2'")
    assert stage == [("Closed\nWon",)]
    # source_row is the row the bad line would have been (row 3 of a_small.csv,
    # on line 5 after a value over two lines); the line is in raw_record
    lines = query(s, "select source_file, source_row, raw_record from raw._quarantine order by 1")
    assert lines == [
        ("opportunities/a_small.csv", 3, '{"_line": 5}'),
        ("opportunities/b_small.jsonl", 2, '{"_line": 2}'),
    ]
