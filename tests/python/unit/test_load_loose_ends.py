"""Loose ends of issue #18: `import` exits 3 on rejects like `load`/`refresh`;
`load` and `dashboard` take the OS locks refresh and publish take; a landed
file that grows after it was loaded; open-ended dates (9999-12-31) on end-date
columns load as null instead of being quarantined."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from test_load_robustness import _env
from typer.testing import CliRunner

import crm_warehouse.imports.importer as importer
from crm_warehouse import cli
from crm_warehouse.settings import Settings


@pytest.fixture
def s(tmp_path: Path) -> Settings:
    return Settings.under(tmp_path)


def _run(load_details: dict[str, Any]) -> dict[str, Any]:
    return {
        "run_id": "r1",
        "status": "ok",
        "summary": {},
        "steps": [{"name": "load", "status": "ok", "seconds": 1.0, "details": load_details}],
    }


def test_import_exits_3_when_the_load_rejected_something(
    s: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    details = {"files_rejected": 0, "rows_quarantined": 0}
    imported = SimpleNamespace(warnings=[], entities={})
    monkeypatch.setattr(importer, "import_export", lambda *a, **k: imported)
    monkeypatch.setattr(cli, "_refresh_with_progress", lambda *a, **k: _run(dict(details)))
    monkeypatch.setattr(cli, "_print_run", lambda data: None)
    args = ["import", "--mapping", str(tmp_path / "m.yml"), "--source", str(tmp_path)]
    args += ["--workdir", str(tmp_path / "wd")]
    runner = CliRunner()
    clean = runner.invoke(cli.app, args, env=_env(s))
    assert clean.exit_code == 0, clean.output
    details["rows_quarantined"] = 2
    res = runner.invoke(cli.app, args, env=_env(s))
    assert res.exit_code == cli.EXIT_REJECTS == 3, res.output
    flat = " ".join(res.output.split())
    assert "2 row(s) quarantined: see quarantine/" in flat and "--allow-rejects" in flat
    details.update(files_rejected=1, rows_quarantined=0)
    assert runner.invoke(cli.app, args, env=_env(s)).exit_code == 3
    allowed = runner.invoke(cli.app, [*args, "--allow-rejects"], env=_env(s))
    assert allowed.exit_code == 0, allowed.output
    assert "1 file(s) rejected (accepted: --allow-rejects)" in " ".join(allowed.output.split())
