"""`python -m crm_dev.bench`: benchmark the refresh against the floor (DuckDB
alone), dbt against its own SQL, incremental against full, and a pandas peer;
print a table and write the figures. See bench/README.md."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

#: Where the last timing of the README's test command is kept (ignored by git).
TEST_COMMAND_FILE = Path("bench/test_command.json")


def _log(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m crm_dev.bench",
        description=(
            "Benchmark the refresh against the floor (DuckDB alone), dbt against its own"
            " SQL, incremental against full, and a pandas peer; print a table and write"
            " the figures. See bench/README.md."
        ),
    )
    parser.add_argument(
        "--scale",
        type=float,
        action="append",
        help="scale of the demo data; repeat for several (default: 1 and 10)",
    )
    parser.add_argument("--seed", type=int, default=42, help="seed of the demo data (default 42)")
    parser.add_argument(
        "--workdir",
        type=Path,
        default=Path("bench/work"),
        help="scratch folder: generated data (reused), warehouses, outputs (default bench/work)",
    )
    parser.add_argument(
        "--output",
        type=Path,
        default=Path("bench/results.json"),
        help="where the figures go, JSON (default bench/results.json)",
    )
    parser.add_argument(
        "--pandas",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also time the pandas peer and check it against the marts (default: yes)",
    )
    parser.add_argument(
        "--test-command",
        action=argparse.BooleanOptionalAction,
        default=False,
        help=(
            "also time the README's test command (make test, about 5 minutes) and keep the"
            f" figure in {TEST_COMMAND_FILE}; without it the table shows the last one kept"
        ),
    )
    parser.add_argument(
        "--import-export",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also time the import of a public export, twice (about 2 minutes; default: yes)",
    )
    parser.add_argument(
        "--keep",
        action=argparse.BooleanOptionalAction,
        default=False,
        help="keep the benchmark's warehouses, for profiling (default: no)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)

    from crm_dev.bench.report import format_table
    from crm_dev.bench.runner import run_bench
    from crm_dev.bench.table import format_issue_table
    from crm_dev.bench.test_command import last_test_command, time_test_command

    test_command = time_test_command(TEST_COMMAND_FILE, _log) if args.test_command else None

    data = run_bench(
        args.scale or [1.0, 10.0],
        workdir=args.workdir,
        output=args.output,
        seed=args.seed,
        pandas=args.pandas,
        keep=args.keep,
        log=_log,
        import_export=args.import_export,
    )
    data["test_command"] = test_command or last_test_command(TEST_COMMAND_FILE)
    if args.output is not None:
        args.output.write_text(json.dumps(data, indent=2, default=str) + "\n")
    print(format_table(data))
    print()
    print(format_issue_table(data))
    print(f"Figures: {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
