"""Each public dataset imported, built and published once per test session
(per pytest-xdist worker), for the tie-out tests.

The tie-out tests compare the published marts with figures computed
independently from the dataset's own files; this module only runs the import
exactly as `crm-warehouse import` does (check, write landing files, load with
validation, dbt build, publish), so what they compare is what a user gets.
Unit tests are excluded from these builds: they prove the SQL and run once, in
the demo build (tests/python/conftest.py); every data test still runs.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import duckdb
import pytest

from crm_dev.datasets import DATASETS
from crm_warehouse.settings import project_root

MAPPINGS = project_root() / "mappings"

#: The marts' scales: money and day/hour means to the cent, ratios to 1e-6.
CENT = Decimal("0.01")
RATE = Decimal("0.000001")


def rounded(value: Fraction | None, unit: Decimal) -> Decimal | None:
    """An exact fraction rounded half away from zero to `unit` (the mart's scale),
    so the tie-outs compare exactly."""
    if value is None:
        return None
    return (Decimal(value.numerator) / Decimal(value.denominator)).quantize(unit, ROUND_HALF_UP)


def ratio(numerator, denominator, unit: Decimal = RATE) -> Decimal | None:
    """numerator / denominator rounded to `unit`; null when either is unknown or
    the denominator is 0 (the marts' ratios are null, never 0, then)."""
    if numerator is None or denominator is None or denominator == 0:
        return None
    return rounded(Fraction(numerator) / Fraction(denominator), unit)


@dataclass
class Published:
    """One dataset's import: its source folder, work folder and run report."""

    name: str
    source: Path
    workdir: Path
    report: Any  # pipeline.RunReport

    @property
    def marts_file(self) -> Path:
        return self.workdir / "publish" / "crm_marts.duckdb"

    def query(self, sql: str, params: list | None = None) -> list[tuple]:
        """Rows of `sql` run against the published marts file (read-only)."""
        con = duckdb.connect(str(self.marts_file), read_only=True)
        try:
            return con.execute(sql, params or []).fetchall()
        finally:
            con.close()

    def frame(self, sql: str, params: list | None = None):
        """`sql` against the published marts file as a pandas DataFrame."""
        con = duckdb.connect(str(self.marts_file), read_only=True)
        try:
            return con.execute(sql, params or []).df()
        finally:
            con.close()


_CACHE: dict[str, Published] = {}


def published(name: str, tmp_path_factory: pytest.TempPathFactory) -> Published:
    """Import `mappings/<name>.yml` from `DATASETS/<name>` once, and return it."""
    if name in _CACHE:
        return _CACHE[name]
    if not (DATASETS / name).is_dir():
        pytest.skip(f"public dataset {name} not found in {DATASETS}")
    from crm_warehouse.imports.importer import import_export

    workdir = tmp_path_factory.mktemp(f"published_{name}")
    import_export(MAPPINGS / f"{name}.yml", DATASETS / name, workdir)
    report = refresh_import(workdir)
    _CACHE[name] = Published(name=name, source=DATASETS / name, workdir=workdir, report=report)
    return _CACHE[name]


def refresh_import(workdir: Path) -> Any:
    """Load, build and publish an import's landing files in `workdir` as
    `crm-warehouse import` does, less what the tests need not pay for on every
    import: the unit tests (the demo build runs them) and the freshness step
    (a historical export is years old). Raises StepFailed on a red build."""
    from crm_warehouse.imports.importer import import_settings
    from crm_warehouse.pipeline import refresh

    previous = os.environ.get("CRM_SKIP_FRESHNESS")
    os.environ["CRM_SKIP_FRESHNESS"] = "1"
    try:
        return refresh(import_settings(workdir))  # a refresh runs no unit test
    finally:
        if previous is None:
            os.environ.pop("CRM_SKIP_FRESHNESS", None)
        else:
            os.environ["CRM_SKIP_FRESHNESS"] = previous
