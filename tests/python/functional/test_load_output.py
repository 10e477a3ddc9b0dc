"""What the loader shows and writes for people: data text (cell values, file
names) is printed verbatim, never read as console markup; a log gets one line
per message; quarantine CSVs are safe to open in a spreadsheet; and no two
landed files share a quarantine file."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import duckdb
import pytest
from rich.console import Console
from typer.testing import CliRunner

from crm_warehouse.ingest.load import load_landing
from crm_warehouse.settings import Settings

HEADER = [
    "opportunity_id",
    "opportunity_name",
    "stage_name",
    "amount",
    "currency_code",
    "created_at",
    "updated_at",
]


def row(i: int, name: str = "Deal", amount: str = "10.00") -> list[str]:
    return [f"O{i}", name, "Prospecting", amount, "USD", "2024-01-01", "2024-01-02"]


def csv_text(header: list[str], rows: list[list[str]]) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows([header, *rows])
    return buf.getvalue()


def land(s: Settings, rel: str, content: str) -> None:
    path = s.landing_dir / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(content, encoding="utf-8")


def query(s: Settings, sql: str) -> list[tuple]:
    con = duckdb.connect(str(s.warehouse_path), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


@pytest.fixture
def s(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    settings = Settings.under(tmp_path)
    monkeypatch.setenv("CRM_LANDING_DIR", str(settings.landing_dir))
    monkeypatch.setenv("CRM_QUARANTINE_DIR", str(settings.quarantine_dir))
    monkeypatch.setenv("CRM_DUCKDB_PATH", str(settings.warehouse_path))
    monkeypatch.setenv("CRM_PUBLISH_DIR", str(settings.publish_dir))
    monkeypatch.setenv("COLUMNS", "80")
    return settings


_PROGRESS_LINE = re.compile(r"\[ *\d+\.\ds\] ")


def run_load() -> tuple[int, BaseException | None, list[str], list[str]]:
    from crm_warehouse.cli import app

    res = CliRunner().invoke(app, ["load"])
    # the messages, without the progress lines a slow load prints after
    # CRM_PROGRESS_DELAY seconds (timing, not content)
    err = [line for line in res.stderr.splitlines() if not _PROGRESS_LINE.match(line)]
    return res.exit_code, res.exception, res.stdout.splitlines(), err


# --------------------------------------------------------------------------- console


def test_markup_in_a_file_name_and_a_header_is_printed_verbatim(s: Settings) -> None:
    """Nothing rejected: the load exits 0 and says what it saw, as it is."""
    rel = "opportunities/opps [final] [bold]x :warning: [red.csv"
    land(s, rel, csv_text([*HEADER, "[/yellow]"], [[*row(1), "y"], [*row(2), "z"]]))
    code, exc, out, err = run_load()
    assert exc is None and code == 0, (exc, out, err)
    assert err == [
        f"{rel}: warning: column(s) [/yellow] are not in the contract of table"
        " opportunities and were ignored"
    ]
    assert out[-1].startswith("Load: files 1, files loaded 1")
    assert query(s, "select count(*), min(_source_file) from raw.opportunities") == [(2, rel)]


def test_markup_in_a_cell_ends_the_load_with_its_summary(s: Settings) -> None:
    """A quarantined value `[/yellow]` is shown verbatim, one line per message
    however long (the output is not a terminal), and the summary follows."""
    rel = "opportunities/" + "a-rather-long-export-name-" * 4 + "[final].csv"
    rows = [row(1), row(2, amount="[/yellow]"), row(3, name="[red]x", amount="-1")]
    land(s, rel, csv_text(HEADER, rows))
    code, exc, out, err = run_load()
    assert exc is None or isinstance(exc, SystemExit), (exc, out, err)
    assert code != 1, (out, err)  # 1 would be a crash (a traceback)
    assert err[:2] == [  # then maybe a line on the exit code
        f"{rel}: row 2, column amount: value '[/yellow]' is not a valid decimal;"
        " expected a decimal number such as 1234.50 (row quarantined)",
        f"{rel}: row 3, column amount: value '-1' is below the minimum 0 (row quarantined)",
    ]
    assert out[-1].startswith("Load: files 1, files loaded 1")
    assert "rows landed 3, rows loaded 1, rows quarantined 2" in out[-1]
    assert query(s, "select count(*) from raw.opportunities") == [(1,)]


def test_progress_shows_a_file_name_verbatim(monkeypatch: pytest.MonkeyPatch) -> None:
    import crm_warehouse.cli as cli

    buf = io.StringIO()
    terminal = Console(file=buf, force_terminal=True, width=200, color_system=None)
    monkeypatch.setattr(cli, "console", terminal)
    with cli._progress() as progress:
        cli._reporter(progress)("opportunities/opps [/yellow] [final].csv", 0, 2)
        progress.refresh()
    assert "opportunities/opps [/yellow] [final].csv" in buf.getvalue()


def test_the_refresh_summary_prints_data_verbatim(capsys: pytest.CaptureFixture[str]) -> None:
    """Rejected file names and unmapped values (data) in the step table and the
    summary lines; the output is not a terminal, so no line is wrapped."""
    from crm_warehouse.cli_output import print_run as _print_run

    unmapped = ["[/red]", ":warning:", "Stage " + "x" * 120]
    details = {"rejected_files": ["opportunities/opps [final].csv"]}
    step = {"name": "load", "status": "ok", "seconds": 1.0, "details": details}
    _print_run({"run_id": "r1", "status": "ok", "steps": [step], "summary": {"unmapped_values": unmapped}})  # fmt: skip
    lines = capsys.readouterr().out.splitlines()
    assert any("rejected_files=['opportunities/opps [final].csv']" in line for line in lines)
    assert lines[-1].endswith("data_quality.dq_unmapped_values): " + ", ".join(unmapped))


# --------------------------------------------------------------------------- quarantine files


def test_formula_cells_are_neutralised_in_the_rejected_csv(s: Settings) -> None:
    formulas = ['=HYPERLINK("http://evil.example","click")', "+cmd|' /C calc'!A0", "-2+3",
                "@SUM(A1:A9)", "=1+1"]  # fmt: skip
    rows = [row(i + 1, name=f, amount="-5") for i, f in enumerate(formulas)]
    rows.append(row(9))
    land(s, "opportunities/x.csv", csv_text(HEADER, rows))
    lines = [
        {"opportunity_id": "J1", "opportunity_name": "\tTAB", "stage_name": "=2*3",
         "amount": -7, "created_at": "2024-01-01", "updated_at": "2024-01-01"},
        {"opportunity_id": "J2", "opportunity_name": "\rCR", "stage_name": "Won",
         "amount": "-0.5", "created_at": "2024-01-01", "updated_at": "2024-01-01"},
    ]  # fmt: skip
    land(s, "opportunities/x.jsonl", "".join(json.dumps(x) + "\n" for x in lines))
    summary = load_landing(s)
    assert summary.totals["rows_landed"] == 8
    assert (summary.totals["rows_loaded"], summary.totals["rows_quarantined"]) == (1, 7)

    # x.csv and x.jsonl each keep their own rejected CSV
    folder = s.quarantine_dir / "opportunities"
    with (folder / "x.csv.rejected.csv").open(encoding="utf-8", newline="") as fh:
        back = list(csv.DictReader(fh))
    assert [r["opportunity_name"] for r in back] == ["'" + f for f in formulas]
    assert {r["amount"] for r in back} == {"-5"}  # a plain number is not a formula
    assert all(r["_reasons"] == "amount: value '-5' is below the minimum 0" for r in back)
    with (folder / "x.jsonl.rejected.csv").open(encoding="utf-8", newline="") as fh:
        back = list(csv.DictReader(fh))
    assert [(r["opportunity_name"], r["stage_name"], r["amount"]) for r in back] == [
        ("'\tTAB", "'=2*3", "-7"),
        ("'\rCR", "Won", "-0.5"),
    ]
    # the original values stay in raw._quarantine
    records = query(s, "select raw_record from raw._quarantine where source_file like '%.csv'")
    names = {json.loads(r[0])["opportunity_name"] for r in records}
    assert names == set(formulas)


def test_same_named_rejected_files_in_two_folders_are_both_kept(s: Settings) -> None:
    bad = {"opportunities": "opportunity_id,stage_name\nO1,Won\n", "accounts": "x\n1\n"}
    for table, text in bad.items():
        land(s, f"{table}/export.csv", text)
    land(s, "opportunities/export.txt", "not a csv")
    summary = load_landing(s)
    assert [f.status for f in summary.files] == ["rejected"] * 3
    assert summary.totals["rows_landed"] == summary.totals["rows_loaded"] == 0
    root = s.quarantine_dir / "_rejected_files"
    for table, text in bad.items():
        copy = root / table / "export.csv"
        assert copy.read_text(encoding="utf-8") == text
        reason = (root / table / "export.csv.reason.txt").read_text(encoding="utf-8")
        assert f"file: {table}/export.csv\n" in reason
    assert (root / "opportunities" / "export.txt").read_text(encoding="utf-8") == "not a csv"
    messages = {f.path: f.messages[0] for f in summary.files}
    assert messages["accounts/export.csv"].endswith(
        "(copied to quarantine/_rejected_files/accounts/export.csv)"
    )


def test_every_cli_console_prints_text_as_given(capsys: pytest.CaptureFixture[str]) -> None:
    """Import warnings, dbt messages and errors go through these two consoles too."""
    import crm_warehouse.cli as cli

    text = "stage '[/yellow]' :warning: [bold]x[/bold] " + "y" * 200
    cli.out.print(text, style="yellow")
    cli.console.print(text, style="bold red")
    captured = capsys.readouterr()
    assert captured.out.splitlines() == [text]
    assert captured.err.splitlines() == [text]
