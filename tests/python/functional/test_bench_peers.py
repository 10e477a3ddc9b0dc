"""The benchmark's peers compute exactly the rows of the marts they are compared
with: every member and month of the marts' spine, the same zeros and nulls."""

from __future__ import annotations

from pathlib import Path

import pytest

from crm_dev.bench.pandas_peer import compare_with_marts
from crm_dev.bench.peers import PEERS, PeerMismatch, compute, require_equal, write_frames
from crm_warehouse.settings import project_root

# on the worker that built the demo warehouse (conftest): without it the other
# pytest-xdist worker refreshes a second demo warehouse just for these tests
pytestmark = pytest.mark.xdist_group("warehouse")


@pytest.mark.parametrize("peer", sorted(PEERS))
def test_peer_equals_the_marts_row_for_row(peer: str, demo_warehouse, tmp_path: Path) -> None:
    pytest.importorskip(peer)
    settings = demo_warehouse.settings
    frames = compute(peer, settings.landing_dir, project_root() / "seeds")
    write_frames(frames, tmp_path)
    check = compare_with_marts(tmp_path, settings.warehouse_path)
    assert set(check) == {"sales_by_rep_month", "leads_by_source_month", "case_resolution_by_month"}
    for name, verdict in check.items():
        assert verdict["all_equal"], (name, verdict["summary"], verdict["examples"])
        # every row of the mart, not only the months with activity
        assert verdict["rows_peer"] == verdict["rows_mart"] == verdict["rows_equal"], name
    require_equal(peer, check)


def test_a_peer_missing_rows_stops_the_benchmark(demo_warehouse, tmp_path: Path) -> None:
    settings = demo_warehouse.settings
    frames = compute("pandas", settings.landing_dir, project_root() / "seeds")
    sales = frames["sales_by_rep_month"]
    # what the peer computed before: only the owner-months with a closed deal
    frames["sales_by_rep_month"] = sales[sales["opportunities_closed"] > 0]
    write_frames(frames, tmp_path)
    check = compare_with_marts(tmp_path, settings.warehouse_path)
    assert check["sales_by_rep_month"]["only_mart"] > 0
    with pytest.raises(PeerMismatch, match="sales_by_rep_month"):
        require_equal("pandas", check)
