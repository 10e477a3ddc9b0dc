"""The BI file: marts only, no personal data, readable by DuckDB 1.4, swapped in
atomically, with Parquet exports that match it row for row."""

from __future__ import annotations

import hashlib
import json
import re
import sys
import types
from pathlib import Path
from typing import Any

import duckdb
import pytest

from crm_warehouse.lock import PUBLISH_LOCK
from crm_warehouse.serve.publish import (
    MARTS_FILE,
    PublishError,
    is_withheld,
    publish,
    published_schemas,
)
from crm_warehouse.settings import Settings, project_root

EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")


def make_fake_warehouse(path: Path) -> None:
    """A warehouse with raw, staging, reference and mart schemas, personal data
    in raw and a few PII-named columns in the marts."""
    path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path))
    con.execute(
        """
        create schema raw; create schema staging; create schema reference;
        create schema core; create schema sales; create schema marketing;
        create schema data_quality;
        create table raw.contacts as
            select range as contact_id, 'person' || range || '@example.com' as email,
                   '+1 555 0100 ' || range as phone, 'Ann' as first_name
            from range(50);
        create view staging.stg_crm__contacts as select * from raw.contacts;
        create table reference.stages as select 'won' as stage_name, 1.0 as probability;
        create table core.dim_accounts (
            account_id varchar, account_name varchar, region varchar,
            primary_contact_email varchar, email_hash varchar, employee_count integer
        );
        insert into core.dim_accounts
            select 'A' || range, 'Acme ' || range, 'EMEA',
                   'boss' || range || '@acme.test', md5('boss' || range), range * 10
            from range(20);
        comment on table core.dim_accounts is 'One row per account.';
        comment on column core.dim_accounts.account_id is 'The account key.';
        create table sales.kpi_sales_monthly as
            select date '2024-01-01' + to_months(cast(range as integer)) as month_start_date,
                   cast(range * 1000.5 as decimal(18, 2)) as won_revenue,
                   range as deal_count
            from range(12);
        create view sales.v_won as select * from sales.kpi_sales_monthly where deal_count > 0;
        create table marketing.kpi_email_list_monthly as
            select date '2024-01-01' as month_start_date, 120 as email_list_size,
                   0.05 as email_list_growth_rate;
        create table data_quality.dq_load_summary as
            select 'contacts' as table_name, 50 as rows_landed, 0 as rows_rejected;
        """
    )
    con.close()


@pytest.fixture
def fake(tmp_path: Path) -> Settings:
    settings = Settings.under(tmp_path)
    make_fake_warehouse(settings.warehouse_path)
    return settings


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _published_tables(path: Path) -> set[str]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        rows = con.execute(
            "select schema_name || '.' || table_name from duckdb_tables()"
        ).fetchall()
    finally:
        con.close()
    return {r[0] for r in rows}


def assert_no_pii(path: Path) -> None:
    """No PII-named text column and no value that looks like an email address."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        cols = con.execute(
            "select schema_name, table_name, column_name, data_type from duckdb_columns()"
        ).fetchall()
        for schema, table, column, data_type in cols:
            assert not is_withheld(column, data_type), f"{schema}.{table}.{column}"
            if data_type != "VARCHAR":
                continue
            values = con.execute(
                f'select distinct "{column}" from "{schema}"."{table}" where "{column}" is not null'
            ).fetchall()
            leaks = [v[0] for v in values if EMAIL.search(v[0])]
            assert not leaks, f"{schema}.{table}.{column} holds emails: {leaks[:3]}"
    finally:
        con.close()


def assert_parquet_matches(publish_dir: Path) -> None:
    """Every published table has a Parquet file with the same rows (as a
    multiset), every column zstd compressed."""
    path = publish_dir / MARTS_FILE
    con = duckdb.connect(str(path), read_only=True)
    try:
        tables = con.execute("select schema_name, table_name from duckdb_tables()").fetchall()
        files = sorted((publish_dir / "parquet").rglob("*.parquet"))
        assert len(files) == len(tables)
        for schema, table in tables:
            pq = publish_dir / "parquet" / schema / f"{table}.parquet"
            assert pq.is_file(), pq
            rel = f'"{schema}"."{table}"'
            src = f"read_parquet('{pq}')"
            codecs = con.execute(
                f"select distinct compression from parquet_metadata('{pq}')"
            ).fetchall()
            assert codecs in ([], [("ZSTD",)]), f"{schema}.{table}: {codecs}"
            n_table = con.execute(f"select count(*) from {rel}").fetchone()
            n_file = con.execute(f"select count(*) from {src}").fetchone()
            assert n_table == n_file, f"{schema}.{table}: {n_table} vs {n_file}"
            for a, b in ((rel, src), (src, rel)):
                diff = con.execute(
                    f"select count(*) from (select * from {a} except all select * from {b})"
                ).fetchone()
                assert diff == (0,), f"{schema}.{table}: {diff} rows differ"
    finally:
        con.close()


def test_publishes_every_mart_and_nothing_else(fake: Settings) -> None:
    result = publish(fake)
    path = fake.publish_dir / MARTS_FILE
    assert path == result.marts_file
    assert _published_tables(path) == {
        "core.dim_accounts",
        "sales.kpi_sales_monthly",
        "sales.v_won",  # a view in a mart schema is materialised as a table
        "marketing.kpi_email_list_monthly",
        "data_quality.dq_load_summary",
    }
    assert not list(fake.publish_dir.glob("*.tmp")), "temporary file left behind"
    con = duckdb.connect(str(path), read_only=True)
    try:
        schemas = {r[0] for r in con.execute("select schema_name from duckdb_schemas()").fetchall()}
        assert not schemas & {"raw", "staging", "intermediate", "reference"}
        cols = [
            r[0]
            for r in con.execute(
                "select column_name from duckdb_columns() where table_name = 'dim_accounts'"
            ).fetchall()
        ]
        # the raw email is withheld, its hash kept; a numeric 'email_' KPI is kept
        assert cols == ["account_id", "account_name", "region", "email_hash", "employee_count"]
        assert con.execute(
            "select email_list_size from marketing.kpi_email_list_monthly"
        ).fetchone()
        comment = con.execute(
            "select comment from duckdb_tables() where table_name = 'dim_accounts'"
        ).fetchone()
        assert comment == ("One row per account.",)
        col_comment = con.execute(
            "select comment from duckdb_columns() where column_name = 'account_id'"
        ).fetchone()
        assert col_comment == ("The account key.",)
        tags = con.execute(
            "select tags from duckdb_databases() where database_name = 'crm_marts'"
        ).fetchone()
        assert tags is not None and tags[0]["storage_version"].startswith("v1.4")
    finally:
        con.close()
    assert_no_pii(path)
    assert_parquet_matches(fake.publish_dir)
    manifest = json.loads((fake.publish_dir / "manifest.json").read_text())
    by_name = {f"{t['schema']}.{t['table']}": t for t in manifest["tables"]}
    assert by_name["sales.kpi_sales_monthly"]["rows"] == 12
    assert by_name["core.dim_accounts"]["withheld_columns"] == ["primary_contact_email"]
    assert manifest["storage_version"] == "v1.4.0"


def test_pii_name_rule() -> None:
    assert is_withheld("email", "VARCHAR")
    assert is_withheld("Contact_Phone", "VARCHAR")
    assert is_withheld("first_name", "VARCHAR")
    assert not is_withheld("email_hash", "VARCHAR")
    assert not is_withheld("email_sha256", "VARCHAR")
    assert not is_withheld("email_list_size", "INTEGER")
    assert not is_withheld("account_name", "VARCHAR")


def test_an_email_value_stops_the_publish_and_keeps_the_previous_file(fake: Settings) -> None:
    publish(fake)
    path = fake.publish_dir / MARTS_FILE
    before = _digest(path)
    parquet_before = {p: _digest(p) for p in (fake.publish_dir / "parquet").rglob("*.parquet")}
    con = duckdb.connect(str(fake.warehouse_path))
    con.execute("update core.dim_accounts set region = 'leak@example.org' where account_id = 'A1'")
    con.execute("insert into sales.kpi_sales_monthly values (date '2025-01-01', 1, 1)")
    con.close()
    with pytest.raises(PublishError, match=r"core\.dim_accounts\.region"):
        publish(fake)
    assert _digest(path) == before
    assert {p: _digest(p) for p in (fake.publish_dir / "parquet").rglob("*.parquet")} == (
        parquet_before
    )
    leftovers = [
        p.name
        for p in fake.publish_dir.iterdir()
        if (p.name.startswith(".") or ".tmp" in p.name) and p.name != PUBLISH_LOCK
    ]
    assert leftovers == []


def test_email_scan_names_exactly_the_columns_holding_an_address() -> None:
    """The scan's first pass keeps columns with an '@'; the regex decides among them."""
    from crm_warehouse.serve.publish import _emails_found

    con = duckdb.connect()
    con.execute(
        """create table t as select * from (values
            ('plain', 'ops@host', 'Mail: Jo.Doe@Example.co.uk!', null, ['a', 'x@y.org'], 'a@b'),
            ('text', null, null, null, ['b'], '@')
        ) v(no_at, at_not_email, email_inside, all_null, list_email, at_only)"""
    )
    cols = ["no_at", "at_not_email", "email_inside", "all_null", "list_email", "at_only"]
    assert _emails_found(con, "t", cols) == ["email_inside", "list_email"]
    assert _emails_found(con, "t", []) == []
    assert _emails_found(con, "t", ["no_at", "at_only"]) == []


def test_a_selective_publish_reuses_the_replaced_tables_space(fake: Settings) -> None:
    """Replacing a table in the copy of the previous file does not grow it by
    the table's size (DuckDB frees the old blocks only once the drop is
    checkpointed)."""
    con = duckdb.connect(str(fake.warehouse_path))
    for table in ("fct_big", "fct_kept"):  # fct_kept unchanged: half the rows stay
        con.execute(
            f"create table core.{table} as select range as big_id, md5(range::varchar) as digest"
            " from range(400000)"
        )
    con.close()
    first = fake.publish_dir / MARTS_FILE
    publish(fake)
    size = first.stat().st_size
    for _ in range(2):
        result = publish(fake, changed={"core.fct_big", "core.dim_accounts"})
        assert result.copied == 2 < len(result.tables)
        assert first.stat().st_size < 1.2 * size, (first.stat().st_size, size)
    con = duckdb.connect(str(first), read_only=True)
    try:
        assert con.execute("select count(*) from core.fct_big").fetchone() == (400000,)
    finally:
        con.close()


def test_a_publish_whose_changed_tables_hold_most_rows_writes_every_table(
    fake: Settings,
) -> None:
    """When the tables the build wrote hold 90 % of the published rows or more,
    copying the previous file would only be dropped again: every table is
    written, as after a full build, with the same content."""
    from crm_warehouse.serve import publish_delta

    con = duckdb.connect(str(fake.warehouse_path))
    con.execute("create table core.fct_big as select range as big_id from range(100000)")
    con.close()
    publish(fake)
    manifest = fake.publish_dir / "manifest.json"
    assert publish_delta.changed_share(manifest, {"core.fct_big"}) >= publish_delta.MOSTLY_CHANGED
    con = duckdb.connect(str(fake.warehouse_path))
    con.execute("insert into core.fct_big select range from range(100000, 100010)")
    con.close()
    result = publish(fake, changed={"core.fct_big"})
    assert result.copied == len(result.tables)
    assert publish_delta.changed_share(fake.publish_dir / "missing.json", {"core.fct_big"}) == 0
    con = duckdb.connect(str(fake.publish_dir / MARTS_FILE), read_only=True)
    try:
        assert con.execute("select count(*) from core.fct_big").fetchone() == (100010,)
    finally:
        con.close()


def test_reader_keeps_the_old_file_while_a_new_one_is_swapped_in(fake: Settings) -> None:
    publish(fake)
    path = fake.publish_dir / MARTS_FILE
    reader = duckdb.connect(str(path), read_only=True)
    try:
        con = duckdb.connect(str(fake.warehouse_path))
        con.execute("insert into sales.kpi_sales_monthly values (date '2025-01-01', 1, 1)")
        con.close()
        publish(fake)  # a BI tool holding the old file open does not block the swap
        assert reader.execute("select count(*) from sales.kpi_sales_monthly").fetchone() == (12,)
    finally:
        reader.close()
    con = duckdb.connect(str(path), read_only=True)
    assert con.execute("select count(*) from sales.kpi_sales_monthly").fetchone() == (13,)
    con.close()
    assert_parquet_matches(fake.publish_dir)


def test_a_warehouse_without_marts_is_refused_and_the_previous_file_kept(fake: Settings) -> None:
    """A warehouse whose marts are gone (a first build killed before any mart,
    schemas dropped by hand) publishes nothing: the last good file stays."""
    publish(fake)
    path = fake.publish_dir / MARTS_FILE
    before = _digest(path)
    fake.warehouse_path.unlink()
    duckdb.connect(str(fake.warehouse_path)).close()
    with pytest.raises(PublishError, match=r"no table in the mart schemas.*nothing published"):
        publish(fake)
    assert _digest(path) == before
    leftovers = [
        p.name
        for p in fake.publish_dir.iterdir()
        if (p.name.startswith(".") or ".tmp" in p.name) and p.name != PUBLISH_LOCK
    ]
    assert leftovers == []


class _FakeDbt:
    """A dbt_build stand-in that succeeds or fails on demand."""

    def __init__(self, success: bool) -> None:
        self.success = success

    def __call__(self, settings: Settings, **_: Any) -> Any:
        from crm_warehouse.build import DbtResult, NodeResult

        node = NodeResult("model.crm_warehouse.broken", "model", "error", 0.1, "boom")
        ok = NodeResult("test.crm_warehouse.t", "test", "pass", 0.1)
        return DbtResult(["dbt", "build"], self.success, [ok] if self.success else [ok, node])


def _patch_pipeline(monkeypatch: pytest.MonkeyPatch, dbt_success: bool) -> None:
    """Replace load and dbt build (owned by other modules) with stand-ins."""

    class _Summary:
        def to_dict(self) -> dict[str, Any]:
            return {"totals": {"rows_loaded": 70, "rows_quarantined": 3}, "files": []}

    fake_load = types.ModuleType("crm_warehouse.ingest.load")
    fake_load.load_landing = lambda settings, progress=None: _Summary()  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "crm_warehouse.ingest.load", fake_load)
    monkeypatch.setattr("crm_warehouse.build.dbt_build", _FakeDbt(dbt_success))
    monkeypatch.setattr("crm_warehouse.pipeline.landing_is_empty", lambda settings: False)
    monkeypatch.setattr(
        "crm_warehouse.serve.publish.publish_docs",
        lambda settings, manifest=None: settings.publish_dir,
    )
    # the saved queries need a real build (test_semantic_layer.py covers them)
    monkeypatch.setattr(
        "crm_warehouse.semantic.exports.materialise_saved_queries", lambda settings, report: None
    )
    monkeypatch.setenv("CRM_SKIP_FRESHNESS", "1")


def test_failed_build_leaves_the_published_file_and_logs_the_failure(
    fake: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from crm_warehouse.pipeline import StepFailed, refresh

    _patch_pipeline(monkeypatch, dbt_success=True)
    first = refresh(fake)
    assert first.status == "ok"
    steps = ["load", "changes", "dbt build", "compact", "publish", "dashboard", "docs"]
    assert [s.name for s in first.steps] == steps
    path = fake.publish_dir / MARTS_FILE
    before = _digest(path)

    # the warehouse changes, then the build fails: nothing may be published
    # (full_refresh: nothing landed, so a plain refresh would be "up to date")
    con = duckdb.connect(str(fake.warehouse_path))
    con.execute("insert into sales.kpi_sales_monthly values (date '2025-01-01', 1, 1)")
    con.close()
    _patch_pipeline(monkeypatch, dbt_success=False)
    with pytest.raises(StepFailed, match="dbt build failed") as err:
        refresh(fake, full_refresh=True)
    assert "broken" in str(err.value) and "untouched" in str(err.value)
    assert _digest(path) == before

    con = duckdb.connect(str(fake.warehouse_path), read_only=True)
    runs = con.execute(
        "select status, failed_step, message, rows_loaded, rows_quarantined, tests_passed "
        "from ops.refresh_runs order by started_at"
    ).fetchall()
    con.close()
    assert [r[0] for r in runs] == ["ok", "failed"]
    assert runs[1][1] == "dbt build" and "broken" in runs[1][2]
    assert runs[1][3:] == (70, 3, 1)
    # the published file carries the run log up to the run that published it
    pub = duckdb.connect(str(path), read_only=True)
    assert pub.execute("select run_id from ops.refresh_runs").fetchall() == [(first.run_id,)]
    pub.close()


# ----------------------------------------------------------------- after the real refresh


@pytest.mark.slow
@pytest.mark.xdist_group("warehouse")
def test_refresh_publishes_every_mart_without_pii(demo_warehouse: Any) -> None:
    """After `refresh` the marts file opens read-only, holds every table of the
    mart schemas and the run log, no personal data, and the Parquet exports
    match it row for row."""
    settings = demo_warehouse.settings
    path = settings.publish_dir / MARTS_FILE
    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    marts = {
        f"{s}.{t}"
        for s, t in con.execute(
            "select schema_name, table_name from duckdb_tables() union all "
            "select schema_name, view_name from duckdb_views() where not internal"
        ).fetchall()
        if s in published_schemas(settings.root)
    }
    con.close()
    assert any(m.startswith("core.") for m in marts), "no core mart was built"
    assert _published_tables(path) == marts | {"ops.refresh_runs", "ops.refresh_steps"}
    ro = duckdb.connect(str(path), read_only=True)
    with pytest.raises(duckdb.Error):
        ro.execute("create table core.should_fail as select 1")
    ro.close()
    assert_no_pii(path)
    assert_parquet_matches(settings.publish_dir)
    steps = [s.name for s in demo_warehouse.report.steps]
    assert steps[-3:] == ["publish", "dashboard", "docs"]
    assert (settings.publish_dir / "docs" / "index.html").stat().st_size > 100_000


@pytest.mark.xdist_group("warehouse")
def test_published_marts_carry_every_description_as_a_comment(demo_warehouse: Any) -> None:
    """persist_docs (macros/cross_db/duckdb_persist_docs.sql on DuckDB) writes
    each built model's description and its documented columns' descriptions
    as comments, and the publish carries them into the BI file: checked for
    every published model and column against the build's manifest."""
    from crm_warehouse.build import target_path

    settings = demo_warehouse.settings
    manifest = json.loads((target_path(settings) / "manifest.json").read_text())
    con = duckdb.connect(str(settings.publish_dir / MARTS_FILE), read_only=True)
    try:
        tables = {
            (s, t): c
            for s, t, c in con.execute(
                "select schema_name, table_name, comment from duckdb_tables()"
            ).fetchall()
        }
        columns = {
            (s, t, n): c
            for s, t, n, c in con.execute(
                "select schema_name, table_name, column_name, comment from duckdb_columns()"
            ).fetchall()
        }
    finally:
        con.close()
    checked = missing = 0
    for node in manifest["nodes"].values():
        key = (node["schema"], node["alias"])
        if node["resource_type"] != "model" or key not in tables:
            continue
        assert tables[key] == node["description"], f"{key}: table comment"
        for name, column in node["columns"].items():
            if (*key, name) not in columns:  # withheld from the BI file
                missing += 1
                continue
            assert columns[(*key, name)] == column["description"], f"{key}.{name}: comment"
            checked += 1
    assert checked > 1000 and missing < checked / 20, (checked, missing)


@pytest.mark.slow
@pytest.mark.xdist_group("warehouse")
def test_a_build_that_fails_on_purpose_keeps_the_published_file(
    demo_warehouse: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A real dbt build that fails (a model that cannot run, added to a copy of
    the project) stops the refresh before publishing: the published file,
    Parquet, dashboard and docs are untouched, and the failure is in the run
    log. Works on copies of the demo warehouse and of the project."""
    import shutil
    from dataclasses import replace

    from crm_warehouse.pipeline import StepFailed, refresh

    demo = demo_warehouse.settings
    project = tmp_path / "project"
    for name in ("models", "macros", "seeds", "tests", "analyses", "profiles"):
        if (demo.root / name).is_dir():
            shutil.copytree(demo.root / name, project / name)
    shutil.copy2(demo.root / "dbt_project.yml", project / "dbt_project.yml")
    (project / "models" / "marts" / "core" / "zz_broken_on_purpose.sql").write_text(
        "select cast('not a number' as integer) as broken\n"
    )
    settings = replace(
        demo,
        root=project,
        quarantine_dir=tmp_path / "quarantine",
        warehouse_path=tmp_path / "warehouse" / "crm.duckdb",
        publish_dir=tmp_path / "publish",
    )
    settings.warehouse_path.parent.mkdir(parents=True)
    shutil.copy2(demo.warehouse_path, settings.warehouse_path)
    shutil.copytree(demo.publish_dir, settings.publish_dir)
    before = {
        p.relative_to(settings.publish_dir): _digest(p)
        for p in settings.publish_dir.rglob("*")
        if p.is_file()
    }
    monkeypatch.setenv("CRM_SKIP_FRESHNESS", "1")
    with pytest.raises(StepFailed, match="dbt build failed") as err:
        refresh(settings, dbt_args=["--select", "zz_broken_on_purpose"])
    assert "zz_broken_on_purpose" in str(err.value)
    after = {
        p.relative_to(settings.publish_dir): _digest(p)
        for p in settings.publish_dir.rglob("*")
        if p.is_file()
    }
    assert after == before
    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    last = con.execute(
        "select status, failed_step, message from ops.refresh_runs order by started_at desc limit 1"
    ).fetchone()
    con.close()
    assert last is not None and last[:2] == ("failed", "dbt build")
    assert "zz_broken_on_purpose" in last[2]


def test_exposures_name_the_dashboard_and_the_bi_file_over_existing_marts() -> None:
    """models/exposures.yml refs only models that exist (else dbt cannot parse)
    and the dashboard's exposure only marts its charts read."""
    import yaml

    from crm_warehouse.serve.dashboard_cubes import CUBES
    from crm_warehouse.serve.dashboard_specs import CHARTS, KPIS

    root = project_root()
    data = yaml.safe_load((root / "models" / "exposures.yml").read_text())
    exposures = {e["name"]: e for e in data["exposures"]}
    assert set(exposures) == {"kpi_dashboard", "crm_marts_file"}
    marts = {p.stem for p in (root / "models" / "marts").rglob("*.sql")}

    def refs(name: str) -> set[str]:
        found = [re.fullmatch(r"ref\('([a-z0-9_]+)'\)", d) for d in exposures[name]["depends_on"]]
        assert all(found), exposures[name]["depends_on"]
        return {m.group(1) for m in found if m}

    assert refs("crm_marts_file") <= marts
    assert not {m for m in refs("crm_marts_file") if m.startswith("int_")}
    charted = {t.split(".")[1] for spec in (*CHARTS, *KPIS, *CUBES) for t in spec.tables}
    assert refs("kpi_dashboard") <= charted & marts
    assert {"kpi_sales_monthly", "dim_dates", "fct_opportunities"} <= refs("kpi_dashboard")


def test_exposures_file_is_what_the_code_writes() -> None:
    """models/exposures.yml is generated (serve.exposures): a mart added or
    renamed without regenerating it fails here, not silently in the lineage."""
    from crm_warehouse.serve.exposures import render_exposures

    root = project_root()
    assert (root / "models" / "exposures.yml").read_text() == render_exposures(root)
