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


def test_a_refresh_and_the_benchmark_build_without_unit_tests_unless_asked() -> None:
    """crm_warehouse.pipeline.refresh_build_args: what `crm-warehouse refresh`
    passes to `dbt build`, and what the benchmark's build steps pass too."""
    from crm_warehouse.pipeline import refresh_build_args

    assert refresh_build_args([]) == ["--exclude-resource-type", "unit_test"]
    full = refresh_build_args(["--select", "x+"], full_refresh=True)
    assert full == ["--select", "x+", "--full-refresh", "--exclude-resource-type", "unit_test"]
    assert not runs_unit_tests(refresh_build_args(["--full-refresh", "--vars", "{}"]))
    assert refresh_build_args(["--full-refresh"], full_refresh=True, unit_tests=True) == [
        "--full-refresh"
    ]
    assert runs_unit_tests(refresh_build_args([], unit_tests=True))
