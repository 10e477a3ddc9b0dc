"""The `crm-warehouse` entry point leaves what it built in memory to the
process's end (gc.freeze): the interpreter's exit would otherwise spend
1.5 s collecting dbt's objects after an import (docs/performance.md)."""

from __future__ import annotations

import pytest

from crm_warehouse import cli


@pytest.mark.parametrize(("command", "succeeds"), [("--help", True), ("no-such-command", False)])
def test_main_freezes_the_heap_when_the_command_ends(
    monkeypatch: pytest.MonkeyPatch, command: str, succeeds: bool
) -> None:
    frozen: list[bool] = []
    monkeypatch.setattr(cli.gc, "freeze", lambda: frozen.append(True))
    monkeypatch.setattr("sys.argv", ["crm-warehouse", command])
    with pytest.raises(SystemExit) as ended:
        cli.main()
    assert (ended.value.code == 0) is succeeds
    assert frozen == [True]
