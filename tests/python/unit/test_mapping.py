"""Mapping files: parsing, validation messages (file, line, fix) and the
semantics of each mapping feature, on small hand-written exports."""

from __future__ import annotations

import json
import textwrap
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crm_warehouse.imports.importer import check_import, import_export
from crm_warehouse.imports.mapping import load_mapping, parse_mapping
from crm_warehouse.imports.spec import MappingError

# A minimal valid mapping: the required columns of `teams`.
TEAMS = """\
entities:
  teams:
    files: teams.csv
    columns:
      team_id: id
      team_name: name
      department: {value: sales}
      updated_at: changed
"""


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def problems(text: str, tmp_path: Path) -> MappingError:
    path = write(tmp_path, "m.yml", text)
    with pytest.raises(MappingError) as err:
        load_mapping(path)
    return err.value


def source_problems(text: str, tmp_path: Path, files: dict[str, str]) -> MappingError:
    src = tmp_path / "src"
    src.mkdir(exist_ok=True)
    for name, content in files.items():
        write(src, name, content)
    path = write(tmp_path, "m.yml", text)
    with pytest.raises(MappingError) as err:
        check_import(path, src)
    return err.value


def run_import(tmp_path: Path, text: str, files: dict[str, str]):
    src = tmp_path / "src"
    src.mkdir(exist_ok=True)
    for name, content in files.items():
        write(src, name, content)
    path = write(tmp_path, "m.yml", text)
    return import_export(path, src, tmp_path / "work")


def rows(result, entity: str) -> list[dict[str, str | None]]:
    file = result.entities[entity].file
    con = duckdb.connect()
    rel = con.sql(f"select * from read_csv('{file}', all_varchar = true)")
    names = rel.columns
    return [dict(zip(names, r, strict=True)) for r in rel.fetchall()]


# --------------------------------------------------------------------------- structure


def test_a_valid_mapping_parses(tmp_path: Path) -> None:
    mapping = load_mapping(write(tmp_path, "m.yml", TEAMS))
    (part,) = mapping.entities["teams"]
    assert part.columns["team_id"].source == "id"
    assert part.columns["department"].value == "sales"
    assert part.timezone == "UTC"


def test_unknown_entity_names_line_and_suggestion(tmp_path: Path) -> None:
    err = problems(TEAMS.replace("  teams:", "  team:"), tmp_path)
    (issue,) = err.issues
    assert issue.line == 2
    assert "unknown entity 'team'" in issue.message and "Did you mean 'teams'" in issue.message
    assert "m.yml:2" in str(err)


def test_unknown_contract_column_suggests_the_close_one(tmp_path: Path) -> None:
    err = problems(TEAMS.replace("team_name: name", "team_nme: name"), tmp_path)
    (issue,) = err.issues
    assert issue.line == 6
    assert "'team_nme' is not a column of the contract table teams" in issue.message
    assert "Did you mean 'team_name'" in issue.message
    # One mistake, one message: the misspelt required column is not also "unmapped".


def test_required_columns_unmapped_are_all_named(tmp_path: Path) -> None:
    text = """\
    entities:
      opportunities:
        files: deals.csv
        columns:
          opportunity_id: id
    """
    err = problems(text, tmp_path)
    (issue,) = err.issues
    assert issue.line == 4
    for col in ("stage_name", "created_at", "updated_at"):
        assert col in issue.message
    assert "{value: ...}" in (issue.fix or "")


def test_unknown_keys_everywhere(tmp_path: Path) -> None:
    text = TEAMS.replace("entities:", "timezon: UTC\nentities:").replace(
        "updated_at: changed", "updated_at: {from: changed, fromat: '%Y'}"
    )
    err = problems(text, tmp_path)
    messages = [i.message for i in err.issues]
    assert any("unknown key 'timezon'" in m and "'timezone'" in m for m in messages)
    assert any("unknown key 'fromat'" in m and "'format'" in m for m in messages)


def test_constants_and_map_targets_must_be_accepted_values(tmp_path: Path) -> None:
    text = """\
    value_maps:
      departments:
        Sales: sales
        Service: servce
    entities:
      teams:
        files: teams.csv
        columns:
          team_id: id
          team_name: name
          department: {from: dept, map: departments, default: sale}
          updated_at: changed
    """
    err = problems(text, tmp_path)
    by_line = {i.line: i for i in err.issues}
    assert "'servce' is not an accepted value" in by_line[4].message
    assert "'service'" in by_line[4].message
    assert "'sale'" in by_line[11].message
    assert "sales, partner_sales" in (by_line[11].fix or "")


def test_undefined_value_map(tmp_path: Path) -> None:
    text = """\
    value_maps:
      stages: {Won: won}
    entities:
      opportunities:
        files: d.csv
        columns:
          opportunity_id: id
          stage_name: {from: stage, map: stage}
          created_at: c
          updated_at: u
    """
    (issue,) = problems(text, tmp_path).issues
    assert issue.line == 8 and "value map 'stage'" in issue.message
    assert "'stages'" in issue.message


def test_invalid_yaml_reports_its_line(tmp_path: Path) -> None:
    err = problems("entities:\n  teams:\n    files: [a.csv\n    columns: x\n", tmp_path)
    assert "not valid YAML" in err.issues[0].message
    assert err.issues[0].line is not None


def test_duplicate_keys_are_refused(tmp_path: Path) -> None:
    text = TEAMS + "      team_id: other\n"
    (issue,) = problems(text, tmp_path).issues
    assert issue.line == 9 and "given twice" in issue.message and "line 5" in issue.message


def test_bad_timezone_and_format_syntax(tmp_path: Path) -> None:
    text = "timezone: Europe/Paris_\ntimestamp_format: 'd/m/Y'\n" + TEAMS
    messages = {i.line: i.message for i in problems(text, tmp_path).issues}
    assert "not an IANA time zone" in messages[1]
    assert "no % directive" in messages[2]


def test_column_needs_exactly_one_source(tmp_path: Path) -> None:
    text = TEAMS.replace("team_name: name", "team_name: {from: name, value: x}")
    (issue,) = problems(text, tmp_path).issues
    assert "exactly one of from:, value: or expr:" in issue.message


def test_yaml_scalars_stay_text(tmp_path: Path) -> None:
    """Yes/No/1/0 in value maps are the export's text, not YAML booleans or numbers."""
    text = """\
    entities:
      leads:
        files: l.csv
        columns:
          lead_id: id
          status: {from: c, map: {'1': converted, No: working, Yes: converted}}
          created_at: c
          updated_at: u
    """
    mapping = parse_mapping(textwrap.dedent(text), tmp_path / "m.yml")
    assert mapping.entities["leads"][0].columns["status"].map == {
        "1": "converted",
        "No": "working",
        "Yes": "converted",
    }


# --------------------------------------------------------------------------- against the source

TEAMS_CSV = "id,name,changed\nT1,Alpha,2024-01-02 10:00:00\n"


def test_source_column_typo_names_file_line_and_suggestion(tmp_path: Path) -> None:
    err = source_problems(
        TEAMS.replace("team_name: name", "team_name: nmae"), tmp_path, {"teams.csv": TEAMS_CSV}
    )
    (issue,) = err.issues
    assert issue.file.name == "m.yml" and issue.line == 6
    assert "'nmae', which is not in teams.csv" in issue.message
    assert "Did you mean 'name'" in issue.message
    assert "id, name, changed" in (issue.fix or "")


def test_missing_file(tmp_path: Path) -> None:
    err = source_problems(TEAMS, tmp_path, {"tems.csv": TEAMS_CSV})
    (issue,) = err.issues
    assert issue.line == 3 and "no file" in issue.message and "'tems.csv'" in issue.message


def test_bad_date_format_names_the_value_and_a_format_that_works(tmp_path: Path) -> None:
    text = "timestamp_format: '%m/%d/%Y %H:%M'\n" + TEAMS
    err = source_problems(
        text, tmp_path, {"teams.csv": "id,name,changed\nT1,Alpha,29/2/2016 01:16\n"}
    )
    (issue,) = err.issues
    assert issue.line == 1
    assert "'29/2/2016 01:16'" in issue.message and "'%m/%d/%Y %H:%M'" in issue.message
    assert "timestamp_format: '%d/%m/%Y %H:%M'" in (issue.fix or "")


def test_non_iso_dates_without_a_format(tmp_path: Path) -> None:
    err = source_problems(TEAMS, tmp_path, {"teams.csv": "id,name,changed\nT1,A,13.03.2024\n"})
    (issue,) = err.issues
    assert "not an ISO-8601 timestamp" in issue.message
    assert "'%d.%m.%Y'" in (issue.fix or "")


def test_expression_and_filter_errors(tmp_path: Path) -> None:
    text = TEAMS.replace("team_name: name", 'team_name: {expr: "upper(nme)"}')
    text = text.replace("    files: teams.csv", "    files: teams.csv\n    filter: idd <> 'x'")
    err = source_problems(text, tmp_path, {"teams.csv": TEAMS_CSV})
    # Both are reported in one pass: a broken filter does not hide a broken expression.
    first, second = err.issues
    assert first.line == 4 and "filter" in first.message and "'id'" in first.message
    assert second.line == 7 and "upper(nme)" in second.message and "'name'" in second.message


def test_latest_by_unknown_column(tmp_path: Path) -> None:
    text = TEAMS.replace("    files: teams.csv", "    files: teams.csv\n    latest_by: {key: idx}")
    (issue,) = source_problems(text, tmp_path, {"teams.csv": TEAMS_CSV}).issues
    assert issue.line == 4 and "'idx'" in issue.message and "'id'" in issue.message


# --------------------------------------------------------------------------- applying


def test_null_markers_maps_defaults_constants(tmp_path: Path) -> None:
    text = """\
    null_values: ['?', 'Select']
    entities:
      teams:
        files: teams.csv
        columns:
          team_id: id
          team_name: {from: name, default: unnamed}
          department: {from: dept, map: {Sales: sales, Help desk: service}}
          region: region
          updated_at: changed
          is_deleted: {value: 'no'}
    """
    csv = (
        "id,name,dept,region,changed\n"
        "T1,Alpha,Sales,Select,2024-01-02 10:00:00\n"
        "T2,?,Help desk, EMEA ,2024-01-03\n"
        "T3,Gamma,marketing,?,2024-01-04T00:00:00+02:00\n"
    )
    result = run_import(tmp_path, text, {"teams.csv": csv})
    got = rows(result, "teams")
    assert [r["team_name"] for r in got] == ["Alpha", "unnamed", "Gamma"]
    # Mapped values are translated, others pass through unchanged.
    assert [r["department"] for r in got] == ["sales", "service", "marketing"]
    assert [r["region"] for r in got] == [None, " EMEA ", None]
    # ISO text with and without an offset; an offset is honoured.
    assert [r["updated_at"] for r in got] == [
        "2024-01-02 10:00:00",
        "2024-01-03 00:00:00",
        "2024-01-03 22:00:00",
    ]
    assert {r["is_deleted"] for r in got} == {"false"}
    assert result.warnings == []


def test_timezone_is_converted_to_utc_across_dst(tmp_path: Path) -> None:
    text = "timezone: Europe/Berlin\ntimestamp_format: '%d.%m.%Y %H:%M'\n" + TEAMS
    csv = "id,name,changed\nW,Winter,15.01.2024 12:00\nS,Summer,15.07.2024 12:00\n"
    got = rows(run_import(tmp_path, text, {"teams.csv": csv}), "teams")
    assert [r["updated_at"] for r in got] == ["2024-01-15 11:00:00", "2024-07-15 10:00:00"]


def test_latest_by_orders_numbers_as_numbers_and_parsed_timestamps(tmp_path: Path) -> None:
    text = """\
    timestamp_format: '%d/%m/%Y %H:%M'
    entities:
      teams:
        files: log.csv
        latest_by: {key: id, order_by: [mods, changed]}
        columns:
          team_id: id
          team_name: name
          department: {value: service}
          updated_at: changed
    """
    # '10' > '9' as numbers; for the same count, 2/2 (February) > 9/1 (January).
    csv = (
        "id,name,mods,changed\n"
        "A,a9,9,1/1/2024 00:00\n"
        "A,a10,10,1/1/2024 00:00\n"
        "A,a2,2,5/5/2024 00:00\n"
        "B,b-jan,1,9/1/2024 00:00\n"
        "B,b-feb,1,2/2/2024 00:00\n"
    )
    result = run_import(tmp_path, text, {"log.csv": csv})
    assert {r["team_id"]: r["team_name"] for r in rows(result, "teams")} == {
        "A": "a10",
        "B": "b-feb",
    }
    assert result.entities["teams"].rows_superseded == 3


def test_filter_expr_window_and_typed_values(tmp_path: Path) -> None:
    text = """\
    entities:
      products:
        files: p.csv
        filter: "\\"Active\\" = 'Y'"
        columns:
          product_id: {expr: "'p-' || row_number() over ()"}
          product_name: Name
          product_family: Line
          tier: {expr: "dense_rank() over (partition by Line order by cast(Price as double))"}
          list_price: Price
          updated_at: {value: '2024-01-01'}
    """
    csv = "Name,Line,Price,Active\nA,X,10,Y\nB,X,5,Y\nC,X,7,N\nD,Z,3.456,Y\n"
    result = run_import(tmp_path, text, {"p.csv": csv})
    got = rows(result, "products")
    assert [(r["product_id"], r["tier"], r["list_price"]) for r in got] == [
        ("p-1", "2", "10.00"),
        ("p-2", "1", "5.00"),
        ("p-3", "1", "3.46"),
    ]
    assert result.entities["products"].rows_filtered_out == 1


def test_unconvertible_values_are_kept_and_warned(tmp_path: Path) -> None:
    text = """\
    entities:
      products:
        files: p.csv
        columns:
          product_id: id
          product_name: id
          product_family: {value: f}
          tier: tier
          updated_at: {value: '2024-01-01'}
    """
    result = run_import(tmp_path, text, {"p.csv": "id,tier\nA,1\nB,2.5\nC,\n"})
    assert [r["tier"] for r in rows(result, "products")] == ["1", "2.5", None]
    text_warnings = "\n".join(result.warnings)
    assert "products.tier: 1 value(s) are not integer" in text_warnings
    assert "products.tier: 1 row(s) have no value for this required column" in text_warnings


def test_parts_union_first_part_wins_and_unmapped_entities_are_not_written(
    tmp_path: Path,
) -> None:
    text = """\
    entities:
      reps:
        - files: deals.csv
          latest_by: {key: closer}
          columns:
            rep_id: closer
            rep_name: closer
            role: {value: account_executive}
            hired_date: {value: '2024-01-01'}
            updated_at: {value: '2024-01-01'}
        - files: deals.csv
          latest_by: {key: sdr}
          columns:
            rep_id: sdr
            rep_name: sdr
            role: {value: sdr}
            hired_date: {value: '2024-01-01'}
            updated_at: {value: '2024-01-01'}
    """
    csv = "closer,sdr\nann,bob\nann,cid\nbob,cid\n"
    result = run_import(tmp_path, text, {"deals.csv": csv})
    got = {r["rep_id"]: r["role"] for r in rows(result, "reps")}
    assert got == {"ann": "account_executive", "bob": "account_executive", "cid": "sdr"}
    assert any("repeat a rep_id" in w for w in result.warnings)
    landing = tmp_path / "work" / "landing"
    assert sorted(p.name for p in landing.iterdir()) == ["reps"]
    assert (tmp_path / "work" / "import_report.json").is_file()


def test_reimport_replaces_the_previous_files(tmp_path: Path) -> None:
    first = run_import(tmp_path, TEAMS, {"teams.csv": TEAMS_CSV})
    csv2 = "id,name,changed\nT1,Alpha,2024-02-09 10:00:00\n"
    second = run_import(tmp_path, TEAMS, {"teams.csv": csv2})
    files = list((tmp_path / "work" / "landing" / "teams").iterdir())
    assert [f.name for f in files] == ["teams__b01_2024-02-09.csv"]
    assert first.export_date == "2024-01-02" and second.export_date == "2024-02-09"


def test_join_brings_the_other_files_columns(tmp_path: Path) -> None:
    text = """\
    entities:
      leads:
        files: leads.csv
        join: {files: deals.csv, on: lead, prefix: 'deal_'}
        columns:
          lead_id: lead
          status: {expr: "case when deal_won is null then 'qualified' else 'converted' end"}
          created_at: won
          converted_at: deal_won
          updated_at: {expr: "coalesce(deal_won, won)"}
    """
    files = {
        "leads.csv": "lead,won\nL1,2024-01-01\nL2,2024-01-02\n",
        "deals.csv": "lead,won\nL2,2024-03-01 09:30:00\n",
    }
    got = rows(run_import(tmp_path, text, files), "leads")
    assert [(r["lead_id"], r["status"], r["converted_at"]) for r in got] == [
        ("L1", "qualified", None),
        ("L2", "converted", "2024-03-01 09:30:00"),
    ]


def test_join_column_collision_asks_for_a_prefix(tmp_path: Path) -> None:
    text = TEAMS.replace(
        "    files: teams.csv", "    files: teams.csv\n    join: {files: more.csv, on: id}"
    )
    files = {"teams.csv": TEAMS_CSV, "more.csv": "id,name\nT1,x\n"}
    (issue,) = source_problems(text, tmp_path, files).issues
    assert issue.line == 4 and "prefix:" in (issue.fix or "")


# --------------------------------------------------------------------------- property

ZONES = ["UTC", "Europe/Berlin", "America/Sao_Paulo", "Asia/Kolkata", "America/New_York"]
FORMATS = ["%d/%m/%Y %H:%M", "%m/%d/%Y %H:%M", "%Y-%m-%d %H:%M", "%d.%m.%Y %H:%M"]


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    moments=st.lists(
        st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2035, 12, 31)).map(
            lambda d: d.replace(second=0, microsecond=0)
        ),
        min_size=1,
        max_size=5,
    ),
    zone=st.sampled_from(ZONES),
    fmt=st.sampled_from(FORMATS),
)
def test_local_times_in_any_format_and_zone_come_out_as_utc(
    tmp_path_factory: pytest.TempPathFactory, moments: list[datetime], zone: str, fmt: str
) -> None:
    tmp = tmp_path_factory.mktemp("prop")
    tz = ZoneInfo(zone)
    # Keep moments that exist exactly once in the zone (no DST gap or overlap).
    ok = []
    for m in moments:
        local = m.replace(tzinfo=tz)
        back = local.astimezone(UTC).astimezone(tz).replace(tzinfo=None)
        other = m.replace(tzinfo=tz, fold=1).astimezone(UTC)
        if back == m and other == local.astimezone(UTC):
            ok.append(m)
    if not ok:
        return
    csv = "id,name,changed\n" + "".join(f"T{i},n,{m.strftime(fmt)}\n" for i, m in enumerate(ok))
    text = f"timezone: {zone}\ntimestamp_format: '{fmt}'\n" + TEAMS
    got = rows(run_import(tmp, text, {"teams.csv": csv}), "teams")
    expected = [
        (m.replace(tzinfo=tz).astimezone(UTC) + timedelta(0)).strftime("%Y-%m-%d %H:%M:%S")
        for m in ok
    ]
    assert [r["updated_at"] for r in got] == expected


# --------------------------------------------------------------------------- real export formats

# A Salesforce "Opportunity" report exported as CSV: a title above the header, the
# report's footer below the data, amounts with a currency sign and thousands commas.
SF_REPORT = """\
Opportunity Pipeline
As of 5/2/2024
"Opportunity ID","Opportunity Name","Account Name","Stage","Amount","Close Date","Created Date","Opportunity Owner","Lead Source","Probability (%)"
"006A1","Acme - 200 units","Acme","Closed Won","$48,000.00","3/15/2024","1/10/2024","Ann Lee","Web","100%"
"006A2","Globex renewal","Globex","Verbal Commit","$1,250.50","6/30/2024","2/1/2024","Bob Ray","Partner Referral","10%"
"006A3","Initech","Initech","Closed Lost","($300.00)","4/1/2024","2/15/2024","Ann Lee","Trade Show","0%"
"006A4","Umbrella
multi-line name","Umbrella","Negotiation/Review","$0.00","7/31/2024","3/1/2024","Ann Lee","","75%"

"Confidential Information - Do Not Distribute"
"Copyright (c) 2000-2024 salesforce.com, inc. All rights reserved."
"Generated By: Ann Lee  5/2/2024 10:15 AM"
"Acme Corp"
"""

SF_MAPPING = """\
date_format: '%m/%d/%Y'
csv: {skip_header_lines: 2, stop_at_blank_line: true}
numbers: {thousands: ',', currency_symbols: ['$']}
entities:
  opportunities:
    files: report.csv
    columns:
      opportunity_id: Opportunity ID
      opportunity_name: Opportunity Name
      account_id: Account Name
      owner_rep_id: Opportunity Owner
      stage_name: Stage
      amount: Amount
      created_at: Created Date
      closed_at: {from: Close Date, when: "\\"Stage\\" in ('Closed Won', 'Closed Lost')"}
      expected_close_date: {from: Close Date, when: "\\"Stage\\" not in ('Closed Won', 'Closed Lost')"}
      updated_at: {expr: "greatest(typed.created_at, typed.closed_at)"}
"""


def test_salesforce_report_with_title_footer_amounts_and_close_dates(tmp_path: Path) -> None:
    result = run_import(tmp_path, SF_MAPPING, {"report.csv": SF_REPORT})
    got = {r["opportunity_id"]: r for r in rows(result, "opportunities")}
    # Four deals: the footer's lines are not rows; the quoted line break stays in its value.
    assert list(got) == ["006A1", "006A2", "006A3", "006A4"]
    assert got["006A4"]["opportunity_name"] == "Umbrella\nmulti-line name"
    # $48,000.00 -> 48000.00; ($300.00) is negative.
    assert [got[k]["amount"] for k in got] == ["48000.00", "1250.50", "-300.00", "0.00"]
    # Close Date is the close of a closed deal and the expected close of an open one.
    assert [(got[k]["closed_at"], got[k]["expected_close_date"]) for k in got] == [
        ("2024-03-15 00:00:00", None),
        (None, "2024-06-30"),
        ("2024-04-01 00:00:00", None),
        (None, "2024-07-31"),
    ]
    # typed.<column> reads the converted dates: greatest() compares times, not texts
    # ('3/15/2024' < '1/10/2024' would be false as text).
    assert [got[k]["updated_at"] for k in got] == [
        "2024-03-15 00:00:00",
        "2024-02-01 00:00:00",
        "2024-04-01 00:00:00",
        "2024-03-01 00:00:00",
    ]
    assert result.entities["opportunities"].rows_read == 4
    # Warnings, not errors: an unknown Salesforce stage, and owners without a reps entity;
    # and the contract's amount is never negative, so the loader will quarantine 006A3.
    text = "\n".join(result.warnings)
    assert "opportunities.amount: 1 row(s) are below the contract's minimum 0 ('-300.00')" in text
    assert "opportunities.stage_name: 1 value(s) are not in seeds/stages.csv" in text
    assert "'Verbal Commit' (1 row)" in text
    assert (
        "opportunities.owner_rep_id: references to reps on 4 rows, but this mapping does not import reps: the owner dimension will be absent"
        in text
    )
    assert "opportunities.account_id: references to accounts on 4 rows" in text


def test_footer_by_line_count_and_the_older_skip(tmp_path: Path) -> None:
    text = SF_MAPPING.replace(
        "csv: {skip_header_lines: 2, stop_at_blank_line: true}",
        "csv: {skip: 2, skip_footer_lines: 5}",
    )
    # Blank lines at the very end of the file are not counted as footer lines.
    result = run_import(tmp_path, text, {"report.csv": SF_REPORT + "\n\n"})
    assert [r["opportunity_id"] for r in rows(result, "opportunities")] == [
        "006A1",
        "006A2",
        "006A3",
        "006A4",
    ]


def test_report_without_footer_options_is_one_clear_problem(tmp_path: Path) -> None:
    text = SF_MAPPING.replace("csv: {skip_header_lines: 2, stop_at_blank_line: true}\n", "")
    err = source_problems(text, tmp_path, {"report.csv": SF_REPORT})
    (issue,) = err.issues
    assert issue.line == 5  # files:
    assert "report.csv was read as a single column" in issue.message
    assert "skip_footer_lines" in (issue.fix or "") and "stop_at_blank_line" in (issue.fix or "")


def test_csv_line_options_are_checked(tmp_path: Path) -> None:
    text = (
        "csv: {skip_footer_lines: two, stop_at_blank_line: maybe, skip: 1, skip_header_lines: 1}\n"
    )
    messages = [i.message for i in problems(text + TEAMS, tmp_path).issues]
    assert any("skip_footer_lines must be a whole number of lines" in m for m in messages)
    assert any("stop_at_blank_line must be true or false" in m for m in messages)
    assert any("skip and skip_header_lines say the same thing" in m for m in messages)


@pytest.mark.parametrize(
    ("numbers", "values", "expected"),
    [
        (
            "{thousands: ',', currency_symbols: ['$', 'R$']}",
            ["$48,000.00", "-$1,250.5", "$-12", "R$ 1,000", "($300)", "7"],
            ["48000.00", "-1250.50", "-12.00", "1000.00", "-300.00", "7.00"],
        ),
        (
            "{decimal: ',', thousands: '.', currency_symbols: ['€']}",
            ["1.234,56 €", "€12,5", "-0,99", "1.000.000"],
            ["1234.56", "12.50", "-0.99", "1000000.00"],
        ),
        (
            "{decimal: ',', thousands: ' '}",
            ["1 234,5", "1\u00a0000", "3"],
            ["1234.50", "1000.00", "3.00"],
        ),
        ("{percent: true}", ["12.5%", "100%", "0.4"], ["0.13", "1.00", "0.40"]),
    ],
)
def test_number_formats(
    tmp_path: Path, numbers: str, values: list[str], expected: list[str]
) -> None:
    text = f"""\
    entities:
      products:
        files: p.csv
        columns:
          product_id: id
          product_name: id
          product_family: {{value: f}}
          tier: {{value: '1'}}
          list_price: {{from: price, numbers: {numbers}}}
          updated_at: {{value: '2024-01-01'}}
    """
    csv = "id;price\n" + "".join(f"P{i};{v}\n" for i, v in enumerate(values))
    text = text.replace("    entities:", "    csv: {delimiter: ';'}\n    entities:")
    result = run_import(tmp_path, text, {"p.csv": csv})
    assert [r["list_price"] for r in rows(result, "products")] == expected
    # Converted; only a negative price is warned about (the contract's minimum is 0).
    negative = [e for e in expected if e.startswith("-")]
    assert len(result.warnings) == (1 if negative else 0)
    assert all(
        f"{len(negative)} row(s) are below the contract's minimum" in w for w in result.warnings
    )


def test_numbers_that_do_not_fit_are_warned_at_import(tmp_path: Path) -> None:
    """Thousands must group by three: '1,5' with thousands ',' is not 15."""
    text = """\
    numbers: {thousands: ','}
    entities:
      products:
        files: p.csv
        columns:
          product_id: id
          product_name: id
          product_family: {value: f}
          tier: {value: '1'}
          list_price: price
          updated_at: {value: '2024-01-01'}
    """
    csv = "id,price\n" + "".join(f'P{i},"1,000"\n' for i in range(25)) + 'PX,"1,5"\n'
    result = run_import(tmp_path, text, {"p.csv": csv})
    assert rows(result, "products")[-1]["list_price"] == "1,5"
    assert any("products.list_price: 1 value(s) are not decimal" in w for w in result.warnings)


def test_check_proposes_a_numbers_block(tmp_path: Path) -> None:
    text = SF_MAPPING.replace("numbers: {thousands: ',', currency_symbols: ['$']}\n", "")
    (issue,) = source_problems(text, tmp_path, {"report.csv": SF_REPORT}).issues
    assert issue.line == 12  # amount: Amount
    assert (
        "column 'amount' (line 12): the value '$48,000.00' from source column 'Amount' is not a number"
        in issue.message
    )
    assert "numbers: {decimal: '.', thousands: ',', currency_symbols: ['$']}" in (issue.fix or "")


def test_check_names_a_numbers_block_that_does_not_fit(tmp_path: Path) -> None:
    text = SF_MAPPING.replace(
        "numbers: {thousands: ',', currency_symbols: ['$']}", "numbers: {decimal: ','}"
    )
    (issue,) = source_problems(text, tmp_path, {"report.csv": SF_REPORT}).issues
    assert issue.line == 3  # where numbers: is set
    assert "with numbers: {decimal: ','}" in issue.message
    assert "thousands: ','" in (issue.fix or "")


def test_numbers_block_is_validated(tmp_path: Path) -> None:
    text = "numbers: {decimal: ';', thousand: ',', percent: often}\n" + TEAMS.replace(
        "team_name: name", "team_name: {from: name, numbers: {decimal: '.'}}"
    )
    messages = [i.message for i in problems(text, tmp_path).issues]
    assert any("decimal must be '.' or ','" in m for m in messages)
    assert any("unknown key 'thousand'" in m and "'thousands'" in m for m in messages)
    assert any("percent must be true or false" in m for m in messages)
    assert any("numbers: applies to number columns" in m for m in messages)
    same = "numbers: {decimal: ',', thousands: ','}\n" + TEAMS
    (issue,) = problems(same, tmp_path).issues
    assert "thousands and decimal are both ','" in issue.message


def test_check_reports_every_problem_in_one_pass(tmp_path: Path) -> None:
    """A header typo, a date format and a number format: three problems, one run."""
    text = (
        SF_MAPPING.replace("numbers: {thousands: ',', currency_symbols: ['$']}\n", "")
        .replace("date_format: '%m/%d/%Y'", "date_format: '%d/%m/%Y'")
        .replace("owner_rep_id: Opportunity Owner", "owner_rep_id: Opportunity Ownr")
        .replace("opportunity_name: Opportunity Name", "opportunity_nam: Opportunity Name")
    )
    err = source_problems(text, tmp_path, {"report.csv": SF_REPORT})
    by_line = {i.line: i for i in err.issues}
    assert "'opportunity_nam' is not a column" in by_line[8].message
    assert (
        "'Opportunity Ownr'" in by_line[10].message and "'Opportunity Owner'" in by_line[10].message
    )
    assert "does not match the format '%d/%m/%Y'" in by_line[1].message
    assert "date_format: '%m/%d/%Y'" in (by_line[1].fix or "")
    assert "'$48,000.00'" in by_line[12].message
    assert len(err.issues) == 4


def test_typed_references_are_checked(tmp_path: Path) -> None:
    text = SF_MAPPING.replace("typed.closed_at", "typed.close_at").replace(
        "created_at: Created Date",
        'created_at: Created Date\n      lead_id: {expr: "typed.updated_at"}',
    )
    messages = [i.message for i in problems(text, tmp_path).issues]
    assert any(
        "reads typed.close_at, but this block does not map 'close_at'" in m for m in messages
    )
    assert any("reads typed.updated_at, which itself reads typed values" in m for m in messages)


def test_when_condition_that_does_not_run(tmp_path: Path) -> None:
    text = SF_MAPPING.replace('\\"Stage\\" not in', '\\"Stag\\" not in')
    (issue,) = source_problems(text, tmp_path, {"report.csv": SF_REPORT}).issues
    assert issue.line == 16 and "when:" in issue.message and "'Stage'" in issue.message


def test_join_on_differently_named_keys(tmp_path: Path) -> None:
    text = """\
    entities:
      opportunities:
        files: opps.csv
        join:
          - {files: accounts.csv, on: {AccountId: Id}, prefix: 'acct_'}
          - {files: owners.csv, on: {OwnerId: Id, Region: Region}, prefix: 'own_'}
        columns:
          opportunity_id: Id
          account_id: acct_Name
          owner_rep_id: own_Alias
          stage_name: {value: prospecting}
          created_at: {value: '2024-01-01'}
          updated_at: {value: '2024-01-01'}
    """
    files = {
        "opps.csv": "Id,AccountId,OwnerId,Region\nO1,A1,U1,EU\nO2,A2,U1,US\nO3,A9,U2,US\n",
        "accounts.csv": "Id,Name\nA1,Acme\nA2,Globex\n",
        "owners.csv": "Id,Region,Alias\nU1,EU,ann-eu\nU1,US,ann-us\nU2,EU,bob\n",
    }
    got = rows(run_import(tmp_path, text, files), "opportunities")
    assert [(r["opportunity_id"], r["account_id"], r["owner_rep_id"]) for r in got] == [
        ("O1", "Acme", "ann-eu"),
        ("O2", "Globex", "ann-us"),
        ("O3", None, None),
    ]


def test_join_on_a_key_the_joined_file_lacks(tmp_path: Path) -> None:
    text = TEAMS.replace(
        "    files: teams.csv",
        "    files: teams.csv\n    join: {files: more.csv, on: {id: team}, prefix: 'm_'}",
    ).replace("team_name: name", "team_name: nmae")
    files = {"teams.csv": TEAMS_CSV, "more.csv": "team_id,x\nT1,1\n"}
    issues = source_problems(text, tmp_path, files).issues
    assert len(issues) == 2
    assert any("'nmae'" in i.message and "Did you mean 'name'" in i.message for i in issues)
    assert any(
        i.line == 4
        and "join column 'team' is not in the joined file more.csv" in i.message
        and "'team_id'" in i.message
        for i in issues
    )


def test_row_number_ids_follow_the_file_and_latest_by_compares_them_as_numbers(
    tmp_path: Path,
) -> None:
    text = """\
    entities:
      teams:
        files: t.csv
        latest_by: {key: name, order_by: [team_id]}
        columns:
          team_id: {expr: "row_number() over ()"}
          team_name: name
          department: {value: sales}
          updated_at: {value: '2024-01-01'}
    """
    # Twelve rows of 'a' then one 'b': the kept 'a' is the one numbered 12, not '9' (text order).
    csv = "name\n" + "a\n" * 12 + "b\n"
    got = rows(run_import(tmp_path, text, {"t.csv": csv}), "teams")
    assert [(r["team_id"], r["team_name"]) for r in got] == [("12", "a"), ("13", "b")]


SEED_ROWS = """\
seed_rows:
  stages:
    - {raw_stage_name: ' Verbal Commit ', stage_name: qualification, stage_order: '2', default_probability: '0.20', is_closed: 'false', is_won: 'false'}
  lead_sources:
    - {raw_lead_source: partner referral, lead_source: referral, channel_group: earned}
    - {raw_lead_source: Trade Fair, lead_source: sales_team, channel_group: paid}
"""


def test_seed_rows_are_parsed_written_and_known_to_the_check(tmp_path: Path) -> None:
    from crm_warehouse.ingest.files import discover

    mapping = parse_mapping(SEED_ROWS + SF_MAPPING, tmp_path / "m.yml")
    assert mapping.seed_rows == {
        "stages": [
            {
                "raw_stage_name": "verbal commit",
                "stage_name": "qualification",
                "stage_order": "2",
                "default_probability": "0.20",
                "is_closed": "false",
                "is_won": "false",
            }
        ],
        # 'partner referral' is in the seed already, with the same values: not added
        # again, so the seed and the rows together keep one row per raw value.
        "lead_sources": [
            {"raw_lead_source": "trade fair", "lead_source": "sales_team", "channel_group": "paid"},
        ],
    }
    result = run_import(tmp_path, SEED_ROWS + SF_MAPPING, {"report.csv": SF_REPORT})
    assert not any("stage_name" in w for w in result.warnings)
    landing = tmp_path / "work" / "landing"
    stages = landing / ".seed_rows" / "stages.csv"
    assert stages.read_text().splitlines() == [
        "raw_stage_name,stage_name,stage_order,default_probability,is_closed,is_won",
        "verbal commit,qualification,2,0.20,false,false",
    ]
    assert (landing / ".seed_rows" / "lead_sources.csv").is_file()
    # The loader does not take them for data.
    assert [p.name for p in discover(landing)] == [Path(result.entities["opportunities"].file).name]
    report = json.loads((tmp_path / "work" / "import_report.json").read_text())
    assert report["seed_rows"]["stages"][0]["raw_stage_name"] == "verbal commit"
    assert report["seed_row_files"]["stages"] == str(stages)
    # A re-import without seed_rows: removes them.
    run_import(tmp_path, SF_MAPPING, {"report.csv": SF_REPORT})
    assert not (landing / ".seed_rows").exists()


def test_seed_rows_are_validated(tmp_path: Path) -> None:
    text = """\
    seed_rows:
      stages:
        - {raw_stage_name: demo, stage_name: demo_done, stage_order: '2', default_probability: '0.2', is_closed: 'no', is_won: 'false'}
        - {raw_stage_name: pitch, stage_name: proposal, stage_ordr: '4'}
        - {raw_stage_name: Closed Won, stage_name: closed_lost, stage_order: '7', default_probability: '0', is_closed: 'true', is_won: 'false'}
      lead_source:
        - {raw_lead_source: x}
    """
    err = problems(textwrap.dedent(text) + TEAMS, tmp_path)
    by_line = {}
    for i in err.issues:
        by_line.setdefault(i.line, []).append(i)
    assert "'demo_done' is not an accepted value" in by_line[3][0].message
    assert "closed_won, closed_lost" in (by_line[3][0].fix or "")
    line4 = " ".join(i.message for i in by_line[4])
    assert "'stage_ordr' is not a column of seeds/stages.csv" in line4
    assert "leaves stage_order, default_probability, is_closed, is_won empty" in line4
    assert "'closed won' is already in seeds/stages.csv" in by_line[5][0].message
    assert (
        "unknown seed 'lead_source'" in by_line[6][0].message
        and "'lead_sources'" in by_line[6][0].message
    )


def test_check_warns_about_unknown_lead_sources_and_missing_references(tmp_path: Path) -> None:
    from crm_warehouse.imports.importer import check_export

    text = """\
    entities:
      leads:
        files: leads.csv
        columns:
          lead_id: id
          lead_source: src
          owner_rep_id: owner
          status: {value: new}
          created_at: {value: '2024-01-01'}
          updated_at: {value: '2024-01-01'}
      reps:
        files: reps.csv
        columns:
          rep_id: id
          rep_name: id
          hired_date: {value: '2024-01-01'}
          updated_at: {value: '2024-01-01'}
    """
    src = tmp_path / "src"
    src.mkdir()
    write(src, "leads.csv", "id,src,owner\nL1,Web,r1\nL2,Podcast,r1\nL3,podcast ,r9\nL4,,\n")
    write(src, "reps.csv", "id\nr1\n")
    result = check_export(write(tmp_path, "m.yml", text), src)
    text_w = "\n".join(result.warnings)
    assert "leads.lead_source: 1 value(s) are not in seeds/lead_sources.csv" in text_w
    assert "'Podcast' (2 rows)" in text_w
    assert (
        "leads.owner_rep_id: references on 1 row to reps records the export does not have (e.g. 'r9')"
        in text_w
    )


def test_check_warns_about_unknown_regions_unless_the_mapping_adds_them(tmp_path: Path) -> None:
    """A region seeds/regions.csv does not know is kept as written by the build
    (two spellings of one region would be two members): the check says so, and
    a seed_rows: {regions: ...} row silences it."""
    from crm_warehouse.imports.importer import check_export

    text = """\
    entities:
      accounts:
        files: accounts.csv
        columns:
          account_id: id
          account_name: id
          region: region
          created_at: {value: '2024-01-01'}
          updated_at: {value: '2024-01-01'}
    """
    src = tmp_path / "src"
    src.mkdir()
    write(src, "accounts.csv", "id,region\nA1,Asia Pacific\nA2,DACH\nA3,dach \nA4,\n")
    warned = "\n".join(check_export(write(tmp_path, "m.yml", text), src).warnings)
    assert "accounts.region: 1 value(s) are not in seeds/regions.csv" in warned
    assert "'DACH' (2 rows)" in warned
    assert "kept as written" in warned
    added = (
        text.rstrip(" ")
        + "    seed_rows:\n      regions:\n        - {raw_region: DACH, region: EMEA}\n"
    )
    result = check_export(write(tmp_path, "m2.yml", added), src)
    assert not [w for w in result.warnings if "regions.csv" in w]


def test_constants_keep_the_contract_format_under_a_numbers_block(tmp_path: Path) -> None:
    text = """\
    numbers: {decimal: ',', thousands: '.'}
    entities:
      products:
        files: p.csv
        columns:
          product_id: id
          product_name: id
          product_family: {value: f}
          tier: {value: '1'}
          list_price: price
          unit_cost: {value: '2.5'}
          updated_at: {value: '2024-01-01'}
    """
    result = run_import(tmp_path, text, {"p.csv": 'id,price\nP1,"1.050,25"\n'})
    assert [(r["list_price"], r["unit_cost"]) for r in rows(result, "products")] == [
        ("1050.25", "2.50")
    ]
    assert result.warnings == []


def test_a_column_reading_its_own_typed_value_is_one_problem(tmp_path: Path) -> None:
    text = SF_MAPPING.replace("typed.created_at, typed.closed_at", "typed.updated_at")
    (issue,) = problems(text, tmp_path).issues
    assert issue.line == 17 and "reads its own typed value" in issue.message


def test_cli_check_prints_the_warnings_and_exits_0(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from crm_warehouse.cli import app

    src = tmp_path / "src"
    src.mkdir()
    write(src, "report.csv", SF_REPORT)
    path = write(tmp_path, "m.yml", SF_MAPPING)
    res = CliRunner().invoke(
        app, ["import", "--check", "--mapping", str(path), "--source", str(src)]
    )
    assert res.exit_code == 0, res.output
    flat = " ".join(res.output.split())
    assert "'Verbal Commit' (1 row)" in flat
    assert "the owner dimension will be absent" in flat
    assert "the mapping fits the contract" in flat
    bad = write(tmp_path, "bad.yml", SF_MAPPING.replace("Opportunity Owner", "Opportunity Ownr"))
    res = CliRunner().invoke(
        app, ["import", "--check", "--mapping", str(bad), "--source", str(src)]
    )
    assert res.exit_code == 2
    assert "Did you mean 'Opportunity Owner'" in " ".join(res.output.split())


def test_title_lines_alone(tmp_path: Path) -> None:
    """skip_header_lines without a footer option: DuckDB skips the lines itself."""
    report = SF_REPORT.split("\n\n", 1)[0] + "\n"
    text = SF_MAPPING.replace(
        "csv: {skip_header_lines: 2, stop_at_blank_line: true}", "csv: {skip_header_lines: 2}"
    )
    got = rows(run_import(tmp_path, text, {"report.csv": report}), "opportunities")
    assert [r["amount"] for r in got] == ["48000.00", "1250.50", "-300.00", "0.00"]


# --------------------------------------------------------------------------- the sandbox

REPO = Path(__file__).resolve().parents[3]
SANDBOX_FILES = {"teams.csv": "id,name,changed\nt1,North,2024-01-01\n"}


def _source_with_outside(tmp_path: Path) -> Path:
    """tmp/src (the --source) and tmp/outside/secret.csv next to it."""
    outside = tmp_path / "outside"
    outside.mkdir()
    write(outside, "secret.csv", "id,name,changed\ns1,SECRET,2024-01-01\n")
    return outside / "secret.csv"


@pytest.mark.parametrize(
    ("files", "reason"),
    [
        ("../outside/secret.csv", "goes up a folder with '..'"),
        ("../outside/*.csv", "goes up a folder with '..'"),
        ("sub/../../outside/*.csv", "goes up a folder with '..'"),
        ("{secret}", "is an absolute path"),
        ("~/secret.csv", "starts at a home folder"),
    ],
)
def test_files_outside_the_source_are_refused(tmp_path: Path, files: str, reason: str) -> None:
    secret = _source_with_outside(tmp_path)
    files = files.format(secret=secret)
    text = TEAMS.replace("files: teams.csv", f"files: '{files}'")
    err = source_problems(text, tmp_path, SANDBOX_FILES)
    (issue,) = err.issues
    assert issue.line == 3
    assert f"files: '{files}' is refused: it {reason}" in issue.message
    assert "inside the --source folder" in issue.message
    assert "relative to --source" in (issue.fix or "")
    assert "m.yml:3" in str(err)
    # The import refuses it too, before writing anything.
    with pytest.raises(MappingError):
        import_export(tmp_path / "m.yml", tmp_path / "src", tmp_path / "work")
    assert not (tmp_path / "work" / "landing").exists()


def test_join_files_outside_the_source_are_refused(tmp_path: Path) -> None:
    secret = _source_with_outside(tmp_path)
    for files in ("../outside/secret.csv", str(secret)):
        text = TEAMS.replace(
            "files: teams.csv", f"files: teams.csv\n    join: {{files: '{files}', on: id}}"
        )
        err = source_problems(text, tmp_path, SANDBOX_FILES)
        (issue,) = err.issues
        assert issue.line == 4
        assert f"join files: '{files}' is refused" in issue.message


@pytest.mark.parametrize("link", ["file", "folder"])
def test_a_symlink_in_the_source_pointing_outside_is_refused(tmp_path: Path, link: str) -> None:
    secret = _source_with_outside(tmp_path)
    src = tmp_path / "src"
    src.mkdir()
    write(src, "teams.csv", SANDBOX_FILES["teams.csv"])
    if link == "file":
        (src / "more.csv").symlink_to(secret)
        pattern, shown = "*.csv", "more.csv"
    else:
        (src / "exports").symlink_to(secret.parent, target_is_directory=True)
        pattern, shown = "exports/*.csv", "exports/secret.csv"
    text = TEAMS.replace("files: teams.csv", f"files: '{pattern}'")
    path = write(tmp_path, "m.yml", text)
    for run in (lambda: check_import(path, src), lambda: import_export(path, src, tmp_path / "w")):
        with pytest.raises(MappingError) as err:
            run()
        (issue,) = err.value.issues
        assert issue.line == 3
        assert f"'{shown}' (matched by '{pattern}') is a symlink to {secret}" in issue.message
        assert "outside the --source folder: refused" in issue.message
    assert not (tmp_path / "w" / "landing").exists()


def test_a_symlink_inside_the_source_is_read(tmp_path: Path) -> None:
    src = tmp_path / "src"
    (src / "2024").mkdir(parents=True)
    write(src / "2024", "teams.csv", SANDBOX_FILES["teams.csv"])
    (src / "teams.csv").symlink_to(src / "2024" / "teams.csv")
    result = import_export(write(tmp_path, "m.yml", TEAMS), src, tmp_path / "work")
    assert [r["team_name"] for r in rows(result, "teams")] == ["North"]


@pytest.mark.parametrize(
    ("where", "sql", "reason"),
    [
        ("expr", "read_csv('/etc/passwd')", "it calls read_csv(), which a mapping may not use"),
        ("expr", "getenv('HOME')", "it calls getenv(), which a mapping may not use"),
        (
            "expr",
            "(select string_agg(column0, ',') from read_csv('/etc/passwd'))",
            "it holds a subquery (select ...), which a mapping may not use",
        ),
        ("when", "name in (select 1)", "it holds a subquery"),
        ("expr", "system.main.lower(name)", "it calls the qualified function main.lower"),
        ("expr", "upper(name", "it is not a valid SQL expression: syntax error"),
        (
            "expr",
            "name) from __mapping_rows, read_csv('/etc/passwd') as r where (1) union all select (1",
            "it is not one SQL expression",
        ),
    ],
)
def test_sql_may_not_call_file_or_system_functions(
    tmp_path: Path, where: str, sql: str, reason: str
) -> None:
    spec = (
        f"{{expr: {json.dumps(sql)}}}"
        if where == "expr"
        else f"{{from: name, when: {json.dumps(sql)}}}"
    )
    text = TEAMS.replace("team_name: name", f"team_name: {spec}")
    err = source_problems(text, tmp_path, SANDBOX_FILES)
    (issue,) = err.issues
    assert issue.line == 6
    assert f"{where}: of column 'team_name': the SQL" in issue.message
    assert reason in issue.message
    assert "docs/import.md" in (issue.fix or "")
    assert "m.yml:6" in str(err)
    # Refused without a source too: it is a property of the mapping.
    with pytest.raises(MappingError):
        load_mapping(tmp_path / "m.yml")


@pytest.mark.parametrize("where", ["filter", "expr", "when"])
def test_a_second_statement_is_refused_and_never_run(tmp_path: Path, where: str) -> None:
    target = tmp_path / "written.csv"
    copy = f"; copy (select 42) to '{target}' (format csv); select (1"
    if where == "filter":
        text = TEAMS.replace(
            "files: teams.csv", f"files: teams.csv\n    filter: {json.dumps('1 = 1' + copy)}"
        )
        line = 4
    elif where == "expr":
        text = TEAMS.replace("team_name: name", f"team_name: {{expr: {json.dumps('name' + copy)}}}")
        line = 6
    else:
        text = TEAMS.replace(
            "team_name: name", f"team_name: {{from: name, when: {json.dumps('true' + copy)}}}"
        )
        line = 6
    err = source_problems(text, tmp_path, SANDBOX_FILES)
    (issue,) = err.issues
    assert issue.line == line
    assert "is refused: it is not one SQL expression" in issue.message
    assert "no ';'" in (issue.fix or "")
    with pytest.raises(MappingError):
        import_export(tmp_path / "m.yml", tmp_path / "src", tmp_path / "work")
    assert not target.exists()
    assert not (tmp_path / "work" / "landing").exists()


def test_a_semicolon_inside_a_string_literal_is_fine(tmp_path: Path) -> None:
    text = TEAMS.replace("team_name: name", "team_name: {expr: \"name || '; x'\"}")
    result = run_import(tmp_path, text, SANDBOX_FILES)
    assert [r["team_name"] for r in rows(result, "teams")] == ["North; x"]


def test_the_import_connection_cannot_reach_outside_its_folders(tmp_path: Path) -> None:
    """The second wall: even SQL that got past the mapping check cannot read or write files."""
    from crm_warehouse.imports.sources import connect as _connect

    src = tmp_path / "src"
    src.mkdir()
    write(src, "teams.csv", SANDBOX_FILES["teams.csv"])
    secret = _source_with_outside(tmp_path)
    con = _connect([src])
    try:
        assert con.execute(f"select count(*) from read_csv('{src / 'teams.csv'}')").fetchone() == (
            1,
        )
        for sql in (
            f"select * from read_csv('{secret}')",
            f"copy (select 1) to '{tmp_path / 'x.csv'}'",
            "set enable_external_access = true",
            "load httpfs",
        ):
            with pytest.raises(duckdb.Error):
                con.execute(sql)
    finally:
        con.close()
    assert not (tmp_path / "x.csv").exists()


@pytest.mark.parametrize(
    ("mapping", "source"),
    [
        ("maven_crm_sales_opportunities", "/work/shared/datasets/maven_crm_sales_opportunities"),
        ("olist_marketing_funnel", "/work/shared/datasets/olist_marketing_funnel"),
        (
            "uci_incident_management_event_log",
            "/work/shared/datasets/uci_incident_management_event_log",
        ),
        ("x_education_leads", "/work/shared/datasets/x_education_leads"),
        ("salesforce_opportunity_report", "mappings/samples/salesforce_opportunity_report"),
        ("hubspot_deals", "mappings/samples/hubspot_deals"),
        ("salesforce_org_api", "tests/fixtures/salesforce_org"),
    ],
)
def test_the_shipped_mappings_pass_the_sandbox(mapping: str, source: str) -> None:
    folder = REPO / source
    if not folder.is_dir():
        pytest.skip(f"{folder} is not on this machine")
    check_import(REPO / "mappings" / f"{mapping}.yml", folder)


def test_cli_refuses_a_hostile_mapping_with_exit_2_and_no_traceback(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from crm_warehouse.cli import app

    src = tmp_path / "src"
    src.mkdir()
    write(src, "teams.csv", SANDBOX_FILES["teams.csv"])
    target = tmp_path / "written.csv"
    text = (
        TEAMS.replace("files: teams.csv", "files: /etc/passwd")
        .replace(
            "    columns:",
            f"    filter: \"1 = 1; copy (select 42) to '{target}' (format csv)\"\n    columns:",
        )
        .replace("team_name: name", "team_name: {expr: \"read_csv('/etc/passwd')\"}")
    )
    path = write(tmp_path, "m.yml", text)
    for extra in (["--check"], ["--workdir", str(tmp_path / "work")]):
        res = CliRunner().invoke(
            app, ["import", *extra, "--mapping", str(path), "--source", str(src)]
        )
        assert res.exit_code == 2, res.output
        assert res.exception is None or isinstance(res.exception, SystemExit)
        flat = " ".join(res.output.split())
        assert "3 problem(s) in mapping" in flat
        assert "m.yml:3: files: '/etc/passwd' is refused: it is an absolute path" in flat
        assert "m.yml:4: filter: the SQL" in flat and "it is not one SQL expression" in flat
        assert "m.yml:7: expr: of column 'team_name'" in flat and "it calls read_csv()" in flat
        assert "Traceback" not in res.output
    assert not target.exists()
    assert not (tmp_path / "work" / "landing").exists()


def test_sql_is_checked_again_as_the_import_rewrites_it(tmp_path: Path) -> None:
    # typed.<column> inside a quoted name parses as written, but not once rewritten.
    text = TEAMS.replace("team_name: name", "team_name: {expr: '\"a typed.team_id\" || name'}")
    err = source_problems(text, tmp_path, SANDBOX_FILES)
    (issue,) = err.issues
    assert issue.line == 6
    assert "is refused once typed. references and row_number() are rewritten" in issue.message
    assert "outside quotes" in (issue.fix or "")


def test_ids_a_parquet_export_stores_as_floats_come_out_whole(tmp_path: Path) -> None:
    """pandas writes a column of whole numbers with gaps as float64: 7.0 is the
    id '7' (as a CSV or an integer column writes it), not '7.0'."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    text = """\
    entities:
      teams:
        files: teams.parquet
        columns:
          team_id: id
          team_name: name
          manager_rep_id: manager
          department: {value: sales}
          updated_at: changed
    """
    src = tmp_path / "src"
    src.mkdir()
    pq.write_table(
        pa.table(
            {
                "id": [1.0, 2.0, 3.0],
                "name": ["A", "B", "C"],
                "manager": [7.0, None, 2.5],
                "changed": ["2024-01-02"] * 3,
            }
        ),
        src / "teams.parquet",
    )
    path = write(tmp_path, "m.yml", text)
    got = rows(import_export(path, src, tmp_path / "work"), "teams")
    assert [r["team_id"] for r in got] == ["1", "2", "3"]
    assert [r["manager_rep_id"] for r in got] == ["7", None, "2.5"]
