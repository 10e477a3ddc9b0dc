"""The benchmark's peak memory includes its `crm-warehouse refresh` runs (the
first refresh of a scale peaks higher than any other step)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from crm_dev.bench import refresh as bench_refresh


def test_refresh_peak_is_the_largest_of_the_four_refreshes(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    peaks = iter([2967.4, 354.0, 2161.0, 1946.0])  # first, nothing new, batch, full

    def fake_run(home: Path, label: str, log: Any, full_refresh: bool = False) -> dict[str, Any]:
        status = "up to date" if "nothing new" in label else "ok"
        return {
            "seconds": 2.0,
            "cpu_s": 2.0,
            "status": status,
            "plan": None,
            "steps": {},
            "build": None,
            "peak_rss_mb": next(peaks),
        }

    monkeypatch.setattr(bench_refresh, "run_refresh", fake_run)
    figures = bench_refresh.measure_refresh(
        tmp_path / "source", tmp_path, lambda line: None, lambda source, landing, include_last: 0
    )
    assert figures["refresh_peak_rss_mb"] == 2967
