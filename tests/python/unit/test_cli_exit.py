"""The `crm-warehouse` entry point leaves what it built in memory to the
process's end (gc.freeze): the interpreter's exit would otherwise spend
1.5 s collecting dbt's objects after an import (docs/performance.md)."""

from __future__ import annotations

import pytest

from crm_warehouse import cli


def test_main_freezes_the_heap_when_the_command_ends(monkeypatch: pytest.MonkeyPatch) -> None:
    frozen: list[bool] = []
    monkeypatch.setattr(cli.gc, "freeze", lambda: frozen.append(True))
    monkeypatch.setattr("sys.argv", ["crm-warehouse", "--help"])
    with pytest.raises(SystemExit) as ended:
        cli.main()
    assert ended.value.code == 0
    assert frozen == [True]


def test_main_freezes_the_heap_when_the_command_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    frozen: list[bool] = []
    monkeypatch.setattr(cli.gc, "freeze", lambda: frozen.append(True))
    monkeypatch.setattr("sys.argv", ["crm-warehouse", "no-such-command"])
    with pytest.raises(SystemExit) as ended:
        cli.main()
    assert ended.value.code != 0
    assert frozen == [True]
