"""Shared fixtures of tests/python/unit (one module or job at a time, no dbt
build) and tests/python/functional (end to end through dbt, publish, a browser).

`demo_warehouse` generates a small demo data set, runs the whole refresh on
it once per test session (worker), and hands every test that needs a built
warehouse the same result. Tests that use it carry
`@pytest.mark.xdist_group("warehouse")` so pytest-xdist runs them on one
worker and the refresh happens once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from crm_warehouse.settings import Settings, disable_telemetry

disable_telemetry()

#: Scale and seed of the test data set (about 20k rows).
TEST_SCALE = 0.02
TEST_SEED = 7


@dataclass
class DemoWarehouse:
    """A refreshed warehouse built from generated demo data."""

    settings: Settings
    report: Any  # pipeline.RunReport
    generation: dict[str, Any]


@pytest.fixture(scope="session")
def demo_warehouse(tmp_path_factory: pytest.TempPathFactory) -> DemoWarehouse:
    import json

    from crm_warehouse.pipeline import refresh

    settings = Settings.under(tmp_path_factory.mktemp("demo"))
    # unit_tests: a production refresh skips dbt's unit tests; the test command runs them here.
    # dbt's file log at debug (every statement), for test_privacy to search.
    with pytest.MonkeyPatch.context() as env:
        env.setenv("DBT_LOG_LEVEL_FILE", "debug")
        report = refresh(settings, scale=TEST_SCALE, seed=TEST_SEED, unit_tests=True)
    generation = json.loads((settings.landing_dir / "_generation_report.json").read_text())
    return DemoWarehouse(settings=settings, report=report, generation=generation)
