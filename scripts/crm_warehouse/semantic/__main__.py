"""`python -m crm_warehouse.semantic <mf args>`: MetricFlow's `mf` CLI, offline, on
the warehouse the environment names (CRM_DUCKDB_PATH; docs/semantic_layer.md)."""

from __future__ import annotations

import sys

from crm_warehouse.settings import Settings, disable_telemetry


def main(argv: list[str] | None = None) -> int:
    disable_telemetry()
    from crm_warehouse.semantic.offline import run_mf

    return run_mf(Settings.from_env(), sys.argv[1:] if argv is None else argv)


if __name__ == "__main__":
    sys.exit(main())
