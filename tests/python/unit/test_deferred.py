"""Imports put off until first use (crm_warehouse.deferred), and Great
Expectations imported without the modules it only needs for an expectation
this project does not use."""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import crm_warehouse
from crm_warehouse.deferred import Deferred, deferred


@pytest.fixture
def modules(tmp_path: Path) -> Iterator[Path]:
    """A folder on sys.path for this test's modules; they leave sys.modules after."""
    sys.path.insert(0, str(tmp_path))
    before = set(sys.modules)
    try:
        yield tmp_path
    finally:
        sys.path.remove(str(tmp_path))
        for name in set(sys.modules) - before:
            del sys.modules[name]


def _write(folder: Path, name: str, text: str) -> None:
    (folder / f"{name}.py").write_text(text)
    importlib.invalidate_caches()


def test_a_deferred_module_runs_on_first_use_only(modules: Path) -> None:
    # `heavy` counts how often it ran in a module of its own
    _write(modules, "runs", "count = 0\n")
    _write(modules, "heavy", "import runs\nruns.count += 1\nvalue = 42\n")
    _write(modules, "user", "import heavy\ndef read():\n    return heavy.value\n")
    import runs

    with deferred(("heavy", "not_a_module_anywhere")) as placed:
        import user

        assert placed == ["heavy"]  # a module that cannot be found is not deferred
        assert isinstance(user.heavy, Deferred)
        assert runs.count == 0
    assert "heavy" not in sys.modules  # the placeholder left with the block
    assert runs.count == 0
    assert user.read() == 42
    assert runs.count == 1
    assert user.read() == 42
    import heavy

    assert runs.count == 1  # the placeholder's import is the one later imports get
    assert heavy.value == 42 and not isinstance(heavy, Deferred)


def test_a_module_read_while_the_block_imports_is_imported_then(modules: Path) -> None:
    _write(modules, "heavy", "value = 7\n")
    _write(modules, "eager", "import heavy\nseen = heavy.value\n")
    with deferred(("heavy",)):
        import eager

        assert eager.seen == 7
        assert not isinstance(sys.modules["heavy"], Deferred)
    assert sys.modules["heavy"].value == 7


def test_an_imported_module_is_left_as_it_is(modules: Path) -> None:
    _write(modules, "heavy", "value = 1\n")
    import heavy

    with deferred(("heavy",)) as placed:
        assert placed == []
        assert sys.modules["heavy"] is heavy


def test_a_missing_dunder_is_not_an_import(modules: Path) -> None:
    _write(modules, "heavy", "raise RuntimeError('imported')\n")
    with deferred(("heavy",)):
        placeholder = sys.modules["heavy"]
        assert isinstance(placeholder, Deferred)
        assert not hasattr(placeholder, "__wrapped__")
        assert placeholder.__spec__ is not None


_GX_PROBE = """
import json, sys
from crm_warehouse.ingest.validate import new_context
new_context()
imported = {name: name in sys.modules for name in ("scipy.stats", "altair")}
from great_expectations.expectations.core import (
    expect_column_kl_divergence_to_be_less_than as kl,
)
entropy = float(kl.stats.entropy([0.5, 0.5], [0.9, 0.1]))
print(json.dumps({"imported": imported, "entropy": entropy}))
"""


def test_great_expectations_starts_without_scipy_stats_and_altair() -> None:
    """In a new interpreter: GX's context is made without importing the
    modules of the expectation we never use, and that expectation's module
    still reaches them when it runs."""
    env = dict(os.environ)
    env["PYTHONPATH"] = str(Path(crm_warehouse.__file__).resolve().parents[1])
    env["GX_ANALYTICS_ENABLED"] = "false"
    out = subprocess.run(
        [sys.executable, "-c", _GX_PROBE],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    probe = json.loads(out.stdout.strip().splitlines()[-1])
    assert probe["imported"] == {"scipy.stats": False, "altair": False}
    # KL divergence of (0.5, 0.5) from (0.9, 0.1): 0.5 ln(0.5/0.9) + 0.5 ln(0.5/0.1)
    assert probe["entropy"] == pytest.approx(0.5108256, abs=1e-6)
