"""dbt before any load (issue #19): one early error naming `crm-warehouse
load` (macros/ops/require_raw_loaded.sql, an on-run-start hook), not every
staging model failing on "schema raw does not exist"."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from crm_warehouse import cli
from crm_warehouse.settings import Settings


def test_build_before_any_load_stops_once_naming_the_load_command(tmp_path: Path) -> None:
    settings = Settings.under(tmp_path)
    res = CliRunner().invoke(
        cli.app, ["build", "--warehouse", str(settings.warehouse_path)], catch_exceptions=False
    )
    assert res.exit_code == 1
    err = res.stderr
    assert err.count("Nothing has been loaded into this warehouse") == 1, err
    assert (
        "raw table(s) missing (raw._load_ledger, raw._pii_salt, raw._quarantine, raw.accounts"
        in err
    )
    assert "Run `crm-warehouse load`" in err
    assert "does not exist" not in err
    assert "dbt:" not in res.stdout  # no node ran, so no tally
