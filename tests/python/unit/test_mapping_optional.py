"""optional: true on a from: column: an export without the source column imports,
the contract column left empty and the import saying so once (a note, not a
problem); the mapping errors when optional: cannot apply. On small hand-written
exports and on the shipped mappings' samples with the column removed (the
check and the landing files only: no dbt build)."""

from __future__ import annotations

import csv
import io
import shutil
import textwrap
from pathlib import Path

import duckdb
import pytest

from crm_warehouse.imports.importer import check_export, import_export, import_settings
from crm_warehouse.imports.mapping import load_mapping
from crm_warehouse.imports.spec import MappingError
from crm_warehouse.ingest.load import load_landing
from crm_warehouse.settings import project_root

REPO = project_root()

# teams: region and is_deleted are optional in the raw contract.
MAPPING = """\
entities:
  teams:
    files: teams.csv
    columns:
      team_id: id
      team_name: name
      department: {value: sales}
      region: {from: Region, optional: true, map: {Europe: EMEA}}
      updated_at: changed
      is_deleted: {from: Deleted, optional: true}
      manager_rep_id: {expr: "case when typed.is_deleted then 'gone' else 'here' end"}
"""
WITH = (
    "id,name,Region,Deleted,changed\nT1,Alpha,Europe,no,2024-01-02\nT2,Beta,APAC,yes,2024-01-03\n"
)
WITHOUT = "id,name,changed\nT1,Alpha,2024-01-02\nT2,Beta,2024-01-03\n"


def write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def problems(tmp_path: Path, text: str) -> MappingError:
    with pytest.raises(MappingError) as err:
        load_mapping(write(tmp_path, "m.yml", text))
    return err.value


def landing_rows(file: str | None) -> list[dict[str, str | None]]:
    rel = duckdb.connect().sql(f"select * from read_csv('{file}', all_varchar = true)")
    return [dict(zip(rel.columns, r, strict=True)) for r in rel.fetchall()]


# --------------------------------------------------------------------------- parsing


def test_optional_is_parsed_on_from_columns(tmp_path: Path) -> None:
    text = MAPPING.replace("Deleted, optional: true", "Deleted, optional: 'no'")
    (part,) = load_mapping(write(tmp_path, "m.yml", text)).entities["teams"]
    assert part.columns["region"].optional and part.columns["region"].kind == "from"
    assert part.columns["region"].map == {"Europe": "EMEA"}
    assert not part.columns["is_deleted"].optional  # optional: no
    assert not part.columns["team_name"].optional  # a plain source column name


@pytest.mark.parametrize(
    ("spec", "line", "message"),
    [
        (
            "region: {value: EMEA, optional: true}",
            8,
            "entity 'teams': column 'region': optional: applies to from: (a source column an "
            "export may lack), not to value:",
        ),
        (
            "region: {expr: 'upper(\"Region\")', optional: true}",
            8,
            "entity 'teams': column 'region': optional: applies to from: (a source column an "
            "export may lack), not to expr:",
        ),
        (
            "region: {from: Region, optional: sometimes}",
            8,
            "entity 'teams': column 'region': optional: must be true or false, not 'sometimes'",
        ),
    ],
)
def test_optional_outside_from_is_a_mapping_error(
    tmp_path: Path, spec: str, line: int, message: str
) -> None:
    text = MAPPING.replace("region: {from: Region, optional: true, map: {Europe: EMEA}}", spec)
    err = problems(tmp_path, text)
    (issue,) = err.issues
    assert issue.line == line and issue.message == message
    assert f"m.yml:{line}: {message}" in str(err)


def test_a_required_column_cannot_be_optional(tmp_path: Path) -> None:
    err = problems(
        tmp_path, MAPPING.replace("team_name: name", "team_name: {from: name, optional: true}")
    )
    (issue,) = err.issues
    assert issue.line == 6
    assert issue.message.startswith(
        "entity 'teams': column 'team_name': the raw contract requires team_name, so it cannot "
        "be optional"
    )
    assert "{value: ...}" in (issue.fix or "")
    # In the second block of an entity, the block is named as the import names it.
    two = MAPPING.replace("  teams:\n", "  teams:\n  - files: a.csv\n    columns: {}\n  -\n", 1)
    assert "entity 'teams[1]': column 'region'" in str(
        problems(
            tmp_path, two.replace("{from: Region, optional: true", "{value: x, optional: true")
        )
    )


# --------------------------------------------------------------------------- check and import


def test_present_optional_columns_are_read_as_from(tmp_path: Path) -> None:
    write(tmp_path / "src", "teams.csv", WITH)
    path = write(tmp_path, "m.yml", MAPPING)
    assert check_export(path, tmp_path / "src").notes == []
    result = import_export(path, tmp_path / "src", tmp_path / "work")
    assert result.notes == []
    got = landing_rows(result.entities["teams"].file)
    assert [(r["region"], r["is_deleted"], r["manager_rep_id"]) for r in got] == [
        ("EMEA", "false", "here"),
        ("APAC", "true", "gone"),
    ]


def test_absent_optional_columns_are_left_empty_with_one_note_each(tmp_path: Path) -> None:
    write(tmp_path / "src", "teams.csv", WITHOUT)
    path = write(tmp_path, "m.yml", MAPPING)
    notes = [
        "teams.region: the export (teams.csv) has no column 'Region' (optional): left empty",
        "teams.is_deleted: the export (teams.csv) has no column 'Deleted' (optional): left empty",
    ]
    checked = check_export(path, tmp_path / "src")
    assert checked.notes == notes
    result = import_export(path, tmp_path / "src", tmp_path / "work")
    assert result.notes == notes
    # A note, not a warning (the only warning: manager_rep_id names reps not imported).
    for warnings in (checked.warnings, result.warnings):
        assert [w.split(":")[0] for w in warnings] == ["teams.manager_rep_id"]
    assert result.to_dict()["notes"] == notes  # import_report.json
    got = landing_rows(result.entities["teams"].file)
    # The column is written, empty (not dropped, not the map's or another value);
    # typed.is_deleted reads null.
    assert [(r["team_id"], r["region"], r["is_deleted"], r["manager_rep_id"]) for r in got] == [
        ("T1", None, None, "here"),
        ("T2", None, None, "here"),
    ]
    assert result.entities["teams"].columns == [
        "team_id",
        "team_name",
        "department",
        "region",
        "manager_rep_id",
        "updated_at",
        "is_deleted",
    ]


def test_an_absent_optional_column_with_a_default_takes_it_in_every_row(tmp_path: Path) -> None:
    write(tmp_path / "src", "teams.csv", WITHOUT)
    text = MAPPING.replace("map: {Europe: EMEA}}", "map: {Europe: EMEA}, default: AMER}").replace(
        "{from: Deleted, optional: true}",
        "{from: Deleted, optional: true, default: 'yes', when: \"name = 'Beta'\"}",
    )
    path = write(tmp_path, "m.yml", text)
    notes = [
        "teams.region: the export (teams.csv) has no column 'Region' (optional): its default"
        " 'AMER' in every row",
        "teams.is_deleted: the export (teams.csv) has no column 'Deleted' (optional): its default"
        " 'yes' in every row where name = 'Beta'",
    ]
    assert check_export(path, tmp_path / "src").notes == notes
    result = import_export(path, tmp_path / "src", tmp_path / "work")
    assert result.notes == notes
    got = landing_rows(result.entities["teams"].file)
    # the default is not mapped (map: translates the export's values), when: still applies,
    # and typed.is_deleted reads the default as a boolean
    assert [(r["team_id"], r["region"], r["is_deleted"], r["manager_rep_id"]) for r in got] == [
        ("T1", "AMER", None, "here"),
        ("T2", "AMER", "true", "gone"),
    ]
    # with the column present the default fills only its empty values, as before
    write(tmp_path / "src2", "teams.csv", WITH.replace("Europe", ""))
    present = import_export(path, tmp_path / "src2", tmp_path / "work2")
    assert present.notes == []
    regions = [r["region"] for r in landing_rows(present.entities["teams"].file)]
    assert regions == ["AMER", "APAC"]


def test_a_missing_column_that_is_not_optional_still_fails(tmp_path: Path) -> None:
    write(tmp_path / "src", "teams.csv", WITHOUT)
    text = MAPPING.replace("Deleted, optional: true", "Deleted")
    with pytest.raises(MappingError) as err:
        check_export(write(tmp_path, "m.yml", text), tmp_path / "src")
    (issue,) = err.value.issues
    assert issue.line == 10 and "reads source column 'Deleted', which is not in teams.csv" in (
        issue.message
    )


def test_cli_check_prints_the_note_and_exits_0(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from crm_warehouse.cli import app

    write(tmp_path / "src", "teams.csv", WITHOUT)
    path = write(tmp_path, "m.yml", MAPPING)
    res = CliRunner().invoke(
        app, ["import", "--check", "--mapping", str(path), "--source", str(tmp_path / "src")]
    )
    assert res.exit_code == 0, res.output
    flat = " ".join(res.output.split())
    assert (
        "note: teams.region: the export (teams.csv) has no column 'Region' (optional): left empty"
        in flat
    )
    assert "the mapping fits the contract" in flat


# --------------------------------------------------------------------------- shipped mappings


def _without_column(src: Path, dst: Path, file: str, column: str) -> None:
    """Copy an export's folder, `column` removed from `file` (title and footer lines kept)."""
    shutil.copytree(src, dst)
    lines = (src / file).read_text(encoding="utf-8").splitlines(keepends=True)
    header_at = next(i for i, line in enumerate(lines) if column in line)
    header = next(csv.reader([lines[header_at]]))
    width, drop = len(header), header.index(column)
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\n")
    for i, line in enumerate(lines):
        fields = next(csv.reader([line]), [])
        if i >= header_at and len(fields) == width:
            writer.writerow(fields[:drop] + fields[drop + 1 :])
        else:
            out.write(line)
    (dst / file).write_text(out.getvalue(), encoding="utf-8")


@pytest.mark.parametrize(
    ("mapping", "source", "file", "column"),
    [
        (
            "salesforce_opportunity_report",
            "mappings/samples/salesforce_opportunity_report",
            "opportunities.csv",
            "Forecast Category",
        ),
        ("hubspot_deals", "mappings/samples/hubspot_deals", "deals.csv", "Forecast category"),
        (
            "salesforce_org_api",
            "tests/fixtures/salesforce_org",
            "Opportunity.csv",
            "ForecastCategoryName",
        ),
    ],
)
def test_shipped_mappings_check_an_export_without_the_forecast_category(
    tmp_path: Path, mapping: str, source: str, file: str, column: str
) -> None:
    src = tmp_path / "src"
    _without_column(REPO / source, src, file, column)
    path = REPO / "mappings" / f"{mapping}.yml"
    note = f"opportunities.forecast_category: the export ({file}) has no column '{column}' (optional): left empty"
    assert check_export(path, REPO / source).notes == []
    assert check_export(path, src).notes == [note]


def test_the_salesforce_report_without_forecast_category_lands_it_empty(tmp_path: Path) -> None:
    """The landing of a report without the column: the column is there, empty in every row,
    so the mart (an all-null forecast_category) says 'not in this export'."""
    name = "salesforce_opportunity_report"
    src = tmp_path / "src"
    _without_column(REPO / "mappings/samples" / name, src, "opportunities.csv", "Forecast Category")
    result = import_export(REPO / "mappings" / f"{name}.yml", src, tmp_path / "work")
    got = landing_rows(result.entities["opportunities"].file)
    assert len(got) == 30 and {r["forecast_category"] for r in got} == {None}
    assert len(result.notes) == 1
    # The loader takes the empty column as it is (no row quarantined).
    settings = import_settings(tmp_path / "work")
    summary = load_landing(settings)
    assert summary.rows_quarantined == 0
    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    try:
        loaded = con.sql("select count(*), count(forecast_category) from raw.opportunities")
        assert loaded.fetchall() == [(30, 0)]
    finally:
        con.close()


def test_absent_optional_number_date_and_timestamp_columns_are_empty(tmp_path: Path) -> None:
    """A number, date or timestamp column left empty: no format or number check trips on it."""
    text = """\
    timestamp_format: '%d/%m/%Y %H:%M'
    entities:
      opportunities:
        files: deals.csv
        columns:
          opportunity_id: id
          stage_name: {value: won}
          created_at: created
          updated_at: created
          amount: {from: Amount, optional: true, numbers: {decimal: ',', thousands: '.'}}
          expected_close_date: {from: Due, optional: true, format: '%d/%m/%Y'}
          closed_at: {from: Closed, optional: true}
    """
    write(tmp_path / "src", "deals.csv", "id,created\nO1,02/01/2024 10:00\n")
    result = import_export(write(tmp_path, "m.yml", text), tmp_path / "src", tmp_path / "work")
    assert [n.split(":")[0] for n in result.notes] == [
        "opportunities.amount",
        "opportunities.expected_close_date",
        "opportunities.closed_at",
    ]
    (row,) = landing_rows(result.entities["opportunities"].file)
    assert (row["amount"], row["expected_close_date"], row["closed_at"]) == (None, None, None)
    assert result.warnings == []
