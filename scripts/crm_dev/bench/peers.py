"""The benchmark's peers: the same KPI frames computed outside the warehouse,
by pandas (crm_dev.bench.pandas_peer) and polars (crm_dev.bench.polars_peer),
each checked row for row against the marts (every dimension member and month
of the marts' spine, the same nulls): a peer that does not compute exactly
what the marts hold stops the benchmark (`PeerMismatch`)."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

#: Peer name -> module computing its frames (`compute_kpis(landing, seeds)`).
PEERS: dict[str, str] = {
    "pandas": "crm_dev.bench.pandas_peer",
    "polars": "crm_dev.bench.polars_peer",
}


class PeerMismatch(RuntimeError):
    """A peer's frames differ from the marts they are compared with."""


def available(peer: str) -> bool:
    """Whether the peer's library is installed (polars is optional)."""
    return importlib.util.find_spec(peer) is not None


def compute(peer: str, landing: Path, seeds: Path) -> dict[str, Any]:
    """The peer's KPI frames (pandas or polars data frames) from the landed files."""
    module = importlib.import_module(PEERS[peer])
    return module.compute_kpis(landing, seeds)


def write_frames(frames: dict[str, Any], out: Path) -> None:
    """Each frame as `<name>.parquet` in `out`."""
    out.mkdir(parents=True, exist_ok=True)
    for name, frame in frames.items():
        if hasattr(frame, "write_parquet"):
            frame.write_parquet(out / f"{name}.parquet")
        else:
            frame.to_parquet(out / f"{name}.parquet", index=False)


def require_equal(peer: str, check: dict[str, Any]) -> None:
    """Raise PeerMismatch unless every frame of the peer equals its mart."""
    frames = set(check)
    wrong = {name: v.get("summary") for name, v in check.items() if not v.get("all_equal")}
    if wrong or not frames:
        details = "; ".join(f"{name}: {summary}" for name, summary in sorted(wrong.items()))
        raise PeerMismatch(
            f"the {peer} peer does not compute what the marts hold: {details or 'no frames'}"
        )
