"""`python -m crm_dev.portability`: build the project on DuckDB, PostgreSQL
and Spark from the same generated data and compare every mart."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import warnings
from collections.abc import Sequence
from pathlib import Path

from crm_dev.portability.engines import ENGINES
from crm_dev.portability.report import CheckReport, write_diff_csv
from crm_dev.portability.run import run_check


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m crm_dev.portability",
        description="Build the project on DuckDB, PostgreSQL and Spark from the same generated data and compare every mart.",
    )
    parser.add_argument("--engines", nargs="+", choices=ENGINES, default=list(ENGINES))
    parser.add_argument(
        "--scale", type=float, default=0.01, help="demo data scale (default 0.01, ~12k raw rows)"
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--threads", type=int, default=2, help="dbt threads on DuckDB and PostgreSQL (default 2)"
    )
    parser.add_argument(
        "--spark-threads",
        type=int,
        default=4,
        help="dbt threads on Spark (default 4: a local Spark waits more than it computes)",
    )
    parser.add_argument(
        "--spark-data-tests",
        choices=("all", "sample", "none"),
        default="all",
        help="data tests on Spark: all (default), one per generic test, or none",
    )
    parser.add_argument(
        "--work-dir", type=Path, help="keep everything here (default: a temporary folder, removed)"
    )
    args = parser.parse_args(argv)

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    warnings.filterwarnings("ignore", message="PySpark does not yet fully support pandas")
    started = time.perf_counter()

    def check(work_dir: Path) -> CheckReport:
        return run_check(
            work_dir,
            args.engines,
            scale=args.scale,
            seed=args.seed,
            threads=args.threads,
            spark_threads=args.spark_threads,
            spark_data_tests=args.spark_data_tests,
        )

    if args.work_dir:
        args.work_dir.mkdir(parents=True, exist_ok=True)
        report = check(args.work_dir.resolve())
        write_diff_csv(report, args.work_dir / "portability.csv")
    else:
        with tempfile.TemporaryDirectory(prefix="crm-portability-") as tmp:
            report = check(Path(tmp))
    print(
        f"\nportability check {'passed' if report.ok else 'FAILED'} in {time.perf_counter() - started:.0f} s"
    )
    return 0 if report.ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
