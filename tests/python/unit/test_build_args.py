"""Which dbt builds run unit tests (and so need the incremental models to
exist first): crm_warehouse.build.runs_unit_tests reads dbt's own arguments."""

from __future__ import annotations

import pytest

from crm_warehouse.build import runs_unit_tests


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ([], True),
        (["--select", "stg_crm__leads+"], True),
        (["--exclude-resource-type", "unit_test"], False),
        (
            ["--select", "x", "--exclude-resource-type", "seed", "unit_test", "--full-refresh"],
            False,
        ),
        (["--exclude-resource-type", "seed", "--full-refresh"], True),
        (["--resource-type", "model", "--resource-type", "seed"], False),
        (["--resource-type", "model", "unit_test"], True),
        (["--resource-type", "unit_test"], True),
        (["--resource-type", "model", "--resource-type", "unit_test"], True),
        (["--exclude-resource-type", "seed", "--exclude-resource-type", "unit_test"], False),
    ],
)
def test_runs_unit_tests_reads_the_resource_type_arguments(args: list[str], expected: bool) -> None:
    assert runs_unit_tests(args) is expected
