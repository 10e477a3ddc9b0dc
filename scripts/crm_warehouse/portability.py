"""Portability check: the same project builds, passes its tests and yields the
same marts on DuckDB, PostgreSQL and Spark.

    python -m crm_warehouse.portability            # all three engines
    python -m crm_warehouse.portability --engines duckdb postgres

Steps:
1. Generate a small demo data set and load it into a scratch DuckDB file with
   the project's own loader (validation, quarantine, audit tables).
2. Start a throw-away PostgreSQL server (Debian's postgresql package, installed
   when missing and run as root) on a free local port, and a local Spark
   session (pyspark, Java 17) with its warehouse under the work folder.
3. Copy every raw.* table from DuckDB into each engine (PostgreSQL: COPY from
   CSV through psycopg2; Spark: Arrow -> DataFrame -> saveAsTable).
4. `dbt build` (seeds, models, unit tests, data tests) on each engine, each
   with its own target path.
5. Read every mart (every model under models/marts/) from each engine and
   compare it with DuckDB's: the same rows (matched on the mart's tested
   primary key), integers and text equal, money equal to the cent, every other
   number (rates, shares, days) equal to 1e-9 (relative above 1).

Exit status 0 when every engine built without an error or a failing test and
every mart matches; 1 otherwise. The comparison logic (canonical values,
tolerances, matching) is plain Python and unit-tested on its own
(tests/python/test_portability_unit.py).
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import datetime as dt
import json
import math
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from pathlib import Path
from typing import Any

from crm_warehouse.settings import Settings, project_root

ENGINES: tuple[str, ...] = ("duckdb", "postgres", "spark")
REFERENCE = "duckdb"

#: Absolute tolerance of money (decimal with at most 2 places): equal to the cent.
MONEY_TOLERANCE = 0.005
#: Tolerance of every other non-integer number (relative for |x| > 1).
NUMBER_TOLERANCE = 1e-9

# --------------------------------------------------------------------------- values


Kind = str  # "int" | "money" | "number" | "bool" | "date" | "timestamp" | "text"


def column_kind(duckdb_type: str) -> Kind:
    """How a column is compared, from its DuckDB type (the reference engine's)."""
    t = duckdb_type.upper()
    if t.startswith("DECIMAL") or t.startswith("NUMERIC"):
        scale = 3
        if "," in t:
            scale = int(t.split(",")[1].rstrip(") "))
        return "money" if scale <= 2 else "number"
    if t in ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UBIGINT", "UINTEGER"):
        return "int"
    if t in ("DOUBLE", "FLOAT", "REAL"):
        return "number"
    if t == "BOOLEAN":
        return "bool"
    if t == "DATE":
        return "date"
    if t.startswith("TIMESTAMP"):
        return "timestamp"
    return "text"


def canonical(value: Any) -> Any:
    """One engine-independent Python value: None for null/NaN, float for
    decimals and doubles, int for integers, ISO strings for dates and
    timestamps (timestamps in UTC without an offset), str otherwise."""
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, Decimal):
        return None if value.is_nan() else float(value)
    if isinstance(value, float):
        return None if math.isnan(value) else value
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC).replace(tzinfo=None)
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def values_equal(a: Any, b: Any, kind: Kind) -> bool:
    """Equal within the tolerance of the column's kind (both canonical)."""
    if a is None or b is None:
        return a is None and b is None
    if kind in ("money", "number", "int") and _is_number(a) and _is_number(b):
        x, y = float(a), float(b)
        if kind == "int":
            return x == y
        if kind == "money":
            return abs(x - y) <= MONEY_TOLERANCE
        return abs(x - y) <= NUMBER_TOLERANCE * max(1.0, abs(x), abs(y))
    if kind == "bool":
        return _as_bool(a) == _as_bool(b)
    if kind == "timestamp":
        return _timestamp_text(a) == _timestamp_text(b)
    if kind == "date":
        return str(a)[:10] == str(b)[:10]
    return a == b


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def _as_bool(v: Any) -> Any:
    if isinstance(v, str):
        return v.lower() in ("true", "t", "1")
    return bool(v)


def _timestamp_text(v: Any) -> str:
    """'YYYY-MM-DD HH:MM:SS[.ffffff]' with trailing zero microseconds dropped."""
    text = str(v).replace("T", " ")
    if "." in text:
        head, frac = text.split(".", 1)
        frac = frac.rstrip("0")
        text = f"{head}.{frac}" if frac else head
    return text


def _sort_token(value: Any, kind: Kind) -> tuple[int, Any]:
    """Sort key of one value: nulls first, numbers rounded to their tolerance."""
    if value is None:
        return (0, "")
    if kind in ("money", "number", "int") and _is_number(value):
        return (1, round(float(value), 2 if kind == "money" else 6))
    if kind == "timestamp":
        return (2, _timestamp_text(value))
    if kind == "bool":
        return (1, int(_as_bool(value)))
    return (2, str(value))


# --------------------------------------------------------------------------- comparison


@dataclass
class Table:
    """One mart as read from one engine: column names and canonical rows."""

    columns: list[str]
    rows: list[tuple[Any, ...]]


@dataclass
class MartDiff:
    """How one engine's copy of a mart differs from the reference's."""

    mart: str
    engine: str
    rows: int
    reference_rows: int
    differing: int = 0
    missing: int = 0
    extra: int = 0
    first_difference: str = ""
    error: str | None = None

    @property
    def ok(self) -> bool:
        return (
            self.error is None
            and self.differing == 0
            and self.missing == 0
            and self.extra == 0
            and not self.first_difference
        )


def compare_tables(
    mart: str,
    engine: str,
    reference: Table,
    other: Table,
    kinds: dict[str, Kind],
    key: Sequence[str] | None = None,
) -> MartDiff:
    """Compare `other` with `reference`, row by row.

    Rows are matched on `key` when given (and unique on both sides), otherwise
    by sorting both sides on every column. Column names must match (order
    does not matter); a missing or extra column is reported as the first
    difference and the common columns are still compared."""
    diff = MartDiff(mart, engine, rows=len(other.rows), reference_rows=len(reference.rows))
    ref_cols = [c.lower() for c in reference.columns]
    oth_cols = [c.lower() for c in other.columns]
    missing_cols = [c for c in ref_cols if c not in oth_cols]
    extra_cols = [c for c in oth_cols if c not in ref_cols]
    if missing_cols or extra_cols:
        diff.first_difference = f"columns missing {missing_cols}, extra {extra_cols}"
    common = [c for c in ref_cols if c in oth_cols]
    ref_idx = [ref_cols.index(c) for c in common]
    oth_idx = [oth_cols.index(c) for c in common]
    col_kinds = [kinds.get(c, "text") for c in common]
    ref_rows = [tuple(r[i] for i in ref_idx) for r in reference.rows]
    oth_rows = [tuple(r[i] for i in oth_idx) for r in other.rows]

    key_cols = [c.lower() for c in key] if key else []
    if key_cols and all(c in common for c in key_cols):
        pos = [common.index(c) for c in key_cols]

        def key_of(row: tuple[Any, ...]) -> tuple[Any, ...]:
            return tuple(_sort_token(row[p], col_kinds[p]) for p in pos)

        ref_map = {key_of(r): r for r in ref_rows}
        oth_map = {key_of(r): r for r in oth_rows}
        if len(ref_map) == len(ref_rows) and len(oth_map) == len(oth_rows):
            for k in sorted(ref_map, key=repr):
                if k not in oth_map:
                    diff.missing += 1
                    _note(diff, f"row {_key_text(key_cols, ref_map[k], pos)} missing")
                    continue
                _compare_row(diff, common, col_kinds, ref_map[k], oth_map[k], key_cols, pos)
            for k in sorted(oth_map, key=repr):
                if k not in ref_map:
                    diff.extra += 1
                    _note(diff, f"extra row {_key_text(key_cols, oth_map[k], pos)}")
            return diff

    def row_key(row: tuple[Any, ...]) -> tuple[Any, ...]:
        return tuple(_sort_token(v, k) for v, k in zip(row, col_kinds, strict=True))

    ref_sorted = sorted(ref_rows, key=row_key)
    oth_sorted = sorted(oth_rows, key=row_key)
    for ref_row, oth_row in zip(ref_sorted, oth_sorted, strict=False):
        _compare_row(diff, common, col_kinds, ref_row, oth_row, [], [])
    if len(ref_sorted) > len(oth_sorted):
        diff.missing = len(ref_sorted) - len(oth_sorted)
        _note(diff, f"{diff.missing} row(s) fewer")
    elif len(oth_sorted) > len(ref_sorted):
        diff.extra = len(oth_sorted) - len(ref_sorted)
        _note(diff, f"{diff.extra} row(s) more")
    return diff


def _note(diff: MartDiff, text: str) -> None:
    if not diff.first_difference:
        diff.first_difference = text


def _key_text(key_cols: list[str], row: tuple[Any, ...], pos: list[int]) -> str:
    return "(" + ", ".join(f"{c}={row[p]!r}" for c, p in zip(key_cols, pos, strict=True)) + ")"


def _compare_row(
    diff: MartDiff,
    common: list[str],
    kinds: list[Kind],
    ref_row: tuple[Any, ...],
    oth_row: tuple[Any, ...],
    key_cols: list[str],
    pos: list[int],
) -> None:
    for i, column in enumerate(common):
        if not values_equal(ref_row[i], oth_row[i], kinds[i]):
            diff.differing += 1
            where = _key_text(key_cols, ref_row, pos) if key_cols else _row_text(common, ref_row)
            _note(
                diff,
                f"{column} at {where}: {REFERENCE}={ref_row[i]!r} {diff.engine}={oth_row[i]!r}",
            )
            return


def _row_text(columns: list[str], row: tuple[Any, ...], limit: int = 3) -> str:
    return (
        "("
        + ", ".join(f"{c}={v!r}" for c, v in list(zip(columns, row, strict=True))[:limit])
        + ", ...)"
    )


# --------------------------------------------------------------------------- marts


@dataclass(frozen=True)
class Mart:
    """A mart model: where it lives and the columns that identify a row."""

    name: str
    schema: str
    key: tuple[str, ...] | None


def marts_from_manifest(manifest_path: Path) -> list[Mart]:
    """Every enabled model under models/marts/, with its primary key from its
    tests (unique_combination_of_columns, else a `unique` column)."""
    manifest = json.loads(manifest_path.read_text())
    keys: dict[str, tuple[str, ...]] = {}
    singles: dict[str, tuple[str, ...]] = {}
    for node in manifest["nodes"].values():
        if node.get("resource_type") != "test" or not node.get("test_metadata"):
            continue
        meta = node["test_metadata"]
        attached = node.get("attached_node")
        if not attached:
            continue
        if meta.get("name") == "unique_combination_of_columns":
            cols = meta.get("kwargs", {}).get("combination_of_columns") or []
            keys.setdefault(attached, tuple(cols))
        elif meta.get("name") == "unique" and node.get("column_name"):
            singles.setdefault(attached, (node["column_name"],))
    marts = []
    for uid, node in manifest["nodes"].items():
        if node.get("resource_type") != "model":
            continue
        if not node.get("original_file_path", "").startswith("models/marts/"):
            continue
        if not node.get("config", {}).get("enabled", True):
            continue
        name = node.get("alias") or node["name"]
        marts.append(Mart(name, node["schema"], keys.get(uid) or singles.get(uid)))
    return sorted(marts, key=lambda m: (m.schema, m.name))


# --------------------------------------------------------------------------- engines


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _apt_install(*packages: str) -> None:
    """apt-get install (as root), updating the package lists once when needed."""
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        raise RuntimeError(
            f"{' '.join(packages)} missing: install it (Debian: apt-get install -y {' '.join(packages)})"
        )
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    cmd = ["apt-get", "install", "-y", "--no-install-recommends", *packages]
    if subprocess.run(cmd, env=env, capture_output=True).returncode != 0:
        subprocess.run(["apt-get", "update"], env=env, check=True, capture_output=True)
        subprocess.run(cmd, env=env, check=True, capture_output=True)


def postgres_bindir(install: bool = True) -> Path:
    """Folder of initdb/pg_ctl: Debian's /usr/lib/postgresql/<newest>/bin, else
    the PATH; installs Debian's postgresql package when neither has them."""

    def found() -> Path | None:
        versions = sorted(
            Path("/usr/lib/postgresql").glob("*/bin/initdb"),
            key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0,
        )
        if versions:
            return versions[-1].parent
        initdb = shutil.which("initdb")
        return Path(initdb).resolve().parent if initdb else None

    bindir = found()
    if bindir is None and install:
        _apt_install("postgresql")
        bindir = found()
    if bindir is None:
        raise RuntimeError("PostgreSQL's initdb not found (apt-get install -y postgresql)")
    return bindir


class PostgresServer:
    """A throw-away PostgreSQL cluster on a free local port: trust auth for
    user postgres, fsync off, data and socket in a temporary folder, removed
    on stop. As root it runs as the `postgres` system user (initdb refuses
    root)."""

    def __init__(self, dbname: str = "crm") -> None:
        self.dbname = dbname
        self.port = 0
        self.base: Path | None = None
        self._bindir: Path | None = None
        self._prefix: list[str] = []

    def _run(self, *args: str) -> subprocess.CompletedProcess[str]:
        cmd = [*self._prefix, *args]
        done = subprocess.run(cmd, capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(
                f"{' '.join(cmd)} failed ({done.returncode}): {done.stderr.strip() or done.stdout.strip()}"
            )
        return done

    def start(self) -> PostgresServer:
        self._bindir = postgres_bindir()
        self.base = Path(tempfile.mkdtemp(prefix="crm-pg-"))
        data, sock = self.base / "data", self.base / "sock"
        sock.mkdir()
        if os.geteuid() == 0:
            import pwd

            try:
                account = pwd.getpwnam("postgres")
            except KeyError as exc:
                raise RuntimeError(
                    "running as root needs the 'postgres' system user (Debian's postgresql package creates it)"
                ) from exc
            for path in (self.base, sock):
                os.chown(path, account.pw_uid, account.pw_gid)
            self._prefix = ["runuser", "-u", "postgres", "--"]
        self._run(
            str(self._bindir / "initdb"),
            "-D",
            str(data),
            "-U",
            "postgres",
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C",
            "--no-sync",
        )
        self.port = free_port()
        options = " ".join(
            [
                f"-p {self.port}",
                f"-k {sock}",
                "-c listen_addresses=127.0.0.1",
                "-c fsync=off",
                "-c synchronous_commit=off",
                "-c full_page_writes=off",
                "-c TimeZone=UTC",
                "-c max_connections=20",
            ]
        )
        self._run(
            str(self._bindir / "pg_ctl"),
            "-D",
            str(data),
            "-l",
            str(self.base / "server.log"),
            "-o",
            options,
            "-w",
            "-t",
            "60",
            "start",
        )
        with contextlib.closing(self.connect("postgres")) as con:
            con.autocommit = True
            with con.cursor() as cur:
                cur.execute(f'create database "{self.dbname}"')
        return self

    def connect(self, dbname: str | None = None) -> Any:
        import psycopg2

        return psycopg2.connect(
            host="127.0.0.1", port=self.port, user="postgres", dbname=dbname or self.dbname
        )

    def env(self) -> dict[str, str]:
        """The environment the profile's `postgres` target reads."""
        return {
            "CRM_PG_HOST": "127.0.0.1",
            "CRM_PG_PORT": str(self.port),
            "CRM_PG_USER": "postgres",
            "CRM_PG_PASSWORD": "",
            "CRM_PG_DBNAME": self.dbname,
        }

    def stop(self) -> None:
        if self.base is None or self._bindir is None:
            return
        with contextlib.suppress(RuntimeError):
            self._run(
                str(self._bindir / "pg_ctl"),
                "-D",
                str(self.base / "data"),
                "-m",
                "immediate",
                "-w",
                "stop",
            )
        shutil.rmtree(self.base, ignore_errors=True)
        self.base = None


def ensure_java() -> None:
    """pyspark needs a Java runtime (17+); install Debian's when missing (root)."""
    if os.environ.get("JAVA_HOME") or shutil.which("java"):
        return
    _apt_install("openjdk-17-jre-headless")


def spark_env(spark_dir: Path) -> dict[str, str]:
    """The environment the profile's `spark` target reads."""
    return {"CRM_SPARK_DIR": str(spark_dir)}


def spark_profile_conf(profiles_dir: Path | None = None) -> dict[str, str]:
    """The `server_side_parameters` of the profile's `spark` target, rendered
    with the current environment: the one place the local session is tuned."""
    import jinja2
    import yaml

    path = (profiles_dir or project_root() / "profiles") / "profiles.yml"
    outputs = yaml.safe_load(path.read_text())["crm_warehouse"]["outputs"]
    params = outputs["spark"].get("server_side_parameters") or {}

    def env_var(name: str, default: str | None = None) -> str:
        value = os.environ.get(name, default)
        if value is None:
            raise KeyError(f"environment variable {name} is not set")
        return value

    env = jinja2.Environment()
    return {
        str(key): env.from_string(str(value)).render(env_var=env_var)
        for key, value in params.items()
    }


def start_spark(spark_dir: Path) -> Any:
    """The SparkSession dbt's `session` method then reuses (getOrCreate), with
    the profile's settings, so that dbt, the raw copy and the comparison share
    one JVM and one metastore."""
    ensure_java()
    import logging

    from pyspark.sql import SparkSession

    os.environ.update(spark_env(spark_dir))
    spark_dir.mkdir(parents=True, exist_ok=True)
    conf = spark_profile_conf()
    builder = SparkSession.builder.appName("crm-portability")
    if conf.get("spark.sql.catalogImplementation", "hive") == "hive":
        builder = builder.enableHiveSupport()
    for key, value in conf.items():
        builder = builder.config(key, value)
    builder = builder.config("spark.sql.execution.arrow.pyspark.enabled", "true")
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    # pyspark logs every failed statement as a JSON stack trace; dbt's own
    # "does this relation exist" probes fail on purpose.
    logging.getLogger("SQLQueryContextLogger").setLevel(logging.CRITICAL)
    logging.getLogger("py4j").setLevel(logging.ERROR)
    return session


# --------------------------------------------------------------------------- raw copy

_PG_TYPES = {
    "VARCHAR": "text",
    "INTEGER": "integer",
    "BIGINT": "bigint",
    "SMALLINT": "smallint",
    "BOOLEAN": "boolean",
    "DATE": "date",
    "TIMESTAMP": "timestamp",
    "TIMESTAMP WITH TIME ZONE": "timestamptz",
    "DOUBLE": "double precision",
    "FLOAT": "real",
    "HUGEINT": "numeric(38, 0)",
}


def postgres_type(duckdb_type: str) -> str:
    """PostgreSQL type of a raw column from its DuckDB type."""
    t = duckdb_type.upper()
    if t.startswith("DECIMAL"):
        return "numeric" + t[len("DECIMAL") :]
    return _PG_TYPES.get(t, "text")


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def raw_tables(duck: Any, schema: str = "raw") -> dict[str, list[tuple[str, str]]]:
    """{table: [(column, DuckDB type), ...]} of a DuckDB schema, in column order."""
    tables: dict[str, list[tuple[str, str]]] = {}
    for table, column, dtype in duck.execute(
        "select table_name, column_name, data_type from information_schema.columns "
        "where table_schema = ? order by table_name, ordinal_position",
        [schema],
    ).fetchall():
        tables.setdefault(table, []).append((column, dtype))
    return tables


def copy_raw_to_postgres(duck: Any, server: PostgresServer, csv_dir: Path) -> int:
    """Create schema raw in PostgreSQL with every DuckDB raw table and COPY the
    rows in (CSV written by DuckDB; null unquoted, empty text quoted). Returns rows copied."""
    csv_dir.mkdir(parents=True, exist_ok=True)
    total = 0
    with contextlib.closing(server.connect()) as con:
        with con.cursor() as cur:
            cur.execute("create schema if not exists raw")
            for table, columns in raw_tables(duck).items():
                cols = ", ".join(f"{_quote(c)} {postgres_type(t)}" for c, t in columns)
                cur.execute(f"drop table if exists raw.{_quote(table)}")
                cur.execute(f"create table raw.{_quote(table)} ({cols})")
                path = csv_dir / f"{table}.csv"
                duck.execute(
                    f"copy (select * from raw.{_quote(table)}) to '{path}' (format csv, header false)"
                )
                with path.open(encoding="utf-8") as handle:
                    cur.copy_expert(
                        f"copy raw.{_quote(table)} from stdin with (format csv)", handle
                    )
                total += cur.rowcount if cur.rowcount > 0 else 0
        con.commit()
    return total


def copy_raw_to_spark(duck: Any, spark: Any) -> int:
    """Create database raw in Spark with every DuckDB raw table (Arrow ->
    DataFrame -> parquet table). Returns rows copied."""
    spark.sql("create database if not exists raw")
    total = 0
    for table in raw_tables(duck):
        arrow = duck.sql(f"select * from raw.{_quote(table)}").to_arrow_table()
        frame = spark.createDataFrame(arrow)
        frame.write.mode("overwrite").format("parquet").saveAsTable(f"raw.`{table}`")
        total += arrow.num_rows
    return total


# --------------------------------------------------------------------------- reading marts


def read_duckdb(duck: Any, mart: Mart) -> Table:
    cur = duck.execute(f"select * from {_quote(mart.schema)}.{_quote(mart.name)}")
    columns = [d[0] for d in cur.description]
    return Table(columns, [tuple(canonical(v) for v in row) for row in cur.fetchall()])


def read_postgres(con: Any, mart: Mart) -> Table:
    with con.cursor() as cur:
        cur.execute(f"select * from {_quote(mart.schema)}.{_quote(mart.name)}")
        columns = [d[0] for d in cur.description]
        rows = [tuple(canonical(v) for v in row) for row in cur.fetchall()]
    con.rollback()
    return Table(columns, rows)


def read_spark(spark: Any, mart: Mart) -> Table:
    frame = spark.table(f"`{mart.schema}`.`{mart.name}`")
    arrow = frame.toArrow()
    columns = list(arrow.column_names)
    data = [arrow.column(i).to_pylist() for i in range(arrow.num_columns)]
    rows = [tuple(canonical(col[r]) for col in data) for r in range(arrow.num_rows)]
    return Table(columns, rows)


def duckdb_kinds(duck: Any, mart: Mart) -> dict[str, Kind]:
    return {
        column.lower(): column_kind(dtype)
        for column, dtype in duck.execute(
            "select column_name, data_type from information_schema.columns "
            "where table_schema = ? and table_name = ?",
            [mart.schema, mart.name],
        ).fetchall()
    }


# --------------------------------------------------------------------------- dbt


@dataclass
class EngineRun:
    """What `dbt build` did on one engine (read from its run_results.json)."""

    engine: str
    seconds: float = 0.0
    success: bool = False
    counts: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    error: str | None = None

    def summary(self) -> str:
        counts = ", ".join(f"{k} {v}" for k, v in sorted(self.counts.items()))
        state = "ok" if self.success else "FAILED"
        return f"[{self.engine}] dbt build {state} in {self.seconds:.0f} s: {counts}"


def summarize_run_results(engine: str, path: Path, seconds: float) -> EngineRun:
    """Counts by 'resource_type:status' and one line per error or failure
    (warnings are the project's own severity choice and do not fail)."""
    run = EngineRun(engine, seconds=seconds)
    if not path.is_file():
        run.error = f"no {path.name}: dbt did not run (see the log beside it)"
        return run
    results = json.loads(path.read_text()).get("results", [])
    for result in results:
        kind = result["unique_id"].split(".", 1)[0]
        status = str(result.get("status"))
        run.counts[f"{kind}:{status}"] = run.counts.get(f"{kind}:{status}", 0) + 1
        if status in ("error", "fail", "runtime error"):
            message = (result.get("message") or "").strip().splitlines()
            run.problems.append(
                f"{status}: {result['unique_id']}: {message[0][:300] if message else ''}"
            )
    run.success = not run.problems and bool(results)
    return run


def dbt_command(
    engine: str,
    settings: Settings,
    target_path: Path,
    threads: int,
    command: str = "build",
    extra: Sequence[str] = (),
) -> list[str]:
    """The `dbt <command>` line of one engine (its own target and log paths)."""
    dbt = Path(sys.executable).with_name("dbt")
    return [
        str(dbt) if dbt.exists() else "dbt",
        command,
        "--target",
        engine,
        "--threads",
        str(threads),
        "--project-dir",
        str(settings.root),
        "--profiles-dir",
        str(settings.root / "profiles"),
        "--target-path",
        str(target_path),
        "--log-path",
        str(target_path.parent / "logs"),
        "--quiet",
        *extra,
    ]


def sample_data_tests(manifest_path: Path) -> list[str]:
    """One data test per generic test (the first by name, preferring one on
    a mart) and every singular test: enough to show that each test's SQL
    compiles and runs on an engine whose data is proven equal by the mart
    comparison."""
    nodes = json.loads(manifest_path.read_text())["nodes"]
    chosen: dict[str, tuple[bool, str]] = {}
    singular: list[str] = []
    for node in nodes.values():
        if node.get("resource_type") != "test":
            continue
        meta = node.get("test_metadata")
        if not meta:
            singular.append(node["name"])
            continue
        attached = nodes.get(node.get("attached_node") or "", {})
        on_mart = str(attached.get("original_file_path", "")).startswith("models/marts/")
        rank = (not on_mart, node["name"])
        key = f"{meta.get('namespace') or ''}.{meta['name']}"
        if key not in chosen or rank < chosen[key]:
            chosen[key] = rank
    return sorted([name for _, name in chosen.values()] + singular)


def merge_runs(first: EngineRun, second: EngineRun) -> EngineRun:
    """One engine's result of two dbt invocations."""
    merged = EngineRun(first.engine, seconds=first.seconds + second.seconds)
    for counts in (first.counts, second.counts):
        for key, value in counts.items():
            merged.counts[key] = merged.counts.get(key, 0) + value
    merged.problems = first.problems + second.problems
    merged.error = first.error or second.error
    merged.success = first.success and second.success
    return merged


#: After the full build, the incremental models run once more, incrementally
#: (no new rows arrived): their strategy's SQL runs on every engine and the
#: marts must still match.
INCREMENTAL_SELECT = ["--select", "config.materialized:incremental"]


class SubprocessBuild:
    """dbt commands of one engine, one after the other in a child process each
    (a thread waits for them), their output in one log file."""

    def __init__(self, engine: str, cmds: list[list[str]], env: dict[str, str], log: Path) -> None:
        self.engine = engine
        self.cmds = cmds
        self.env = env
        log.parent.mkdir(parents=True, exist_ok=True)
        self.log = log
        self.started = time.perf_counter()
        self.runs: list[EngineRun] = []
        self.proc: subprocess.Popen[bytes] | None = None
        self._waiter = threading.Thread(target=self._run_all, daemon=True)
        self._waiter.start()

    def _run_all(self) -> None:
        with self.log.open("w") as handle:
            for cmd in self.cmds:
                started = time.perf_counter()
                target_path = Path(cmd[cmd.index("--target-path") + 1])
                self.proc = subprocess.Popen(
                    cmd, env=self.env, stdout=handle, stderr=subprocess.STDOUT
                )
                code = self.proc.wait()
                run = summarize_run_results(
                    self.engine, target_path / "run_results.json", time.perf_counter() - started
                )
                if code not in (0, 1) and run.error is None:
                    run.error = f"dbt exited with {code}; see {self.log}"
                    run.success = False
                self.runs.append(run)
                if not run.success:
                    break

    def wait(self) -> EngineRun:
        self._waiter.join()
        merged = self.runs[0] if self.runs else EngineRun(self.engine, error="dbt did not start")
        for run in self.runs[1:]:
            merged = merge_runs(merged, relabel(run, "incremental "))
        return merged

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()


def relabel(run: EngineRun, prefix: str) -> EngineRun:
    """The same result with its counts named as a second pass (e.g. 'incremental model:success')."""
    return EngineRun(
        run.engine,
        run.seconds,
        run.success,
        {prefix + key: value for key, value in run.counts.items()},
        run.problems,
        run.error,
    )


def build_in_process(
    engine: str,
    settings: Settings,
    target_path: Path,
    threads: int,
    command: str = "build",
    extra: Sequence[str] = (),
) -> EngineRun:
    """`dbt <command>` in this process (Spark: dbt's session method then uses
    the SparkSession started here)."""
    from dbt.cli.main import dbtRunner

    started = time.perf_counter()
    cmd = dbt_command(engine, settings, target_path, threads, command, extra)
    outcome = dbtRunner().invoke(cmd[1:])
    run = summarize_run_results(
        engine, target_path / "run_results.json", time.perf_counter() - started
    )
    if outcome.exception is not None and run.error is None:
        run.error = f"{type(outcome.exception).__name__}: {outcome.exception}"
        run.success = False
    return run


def build_spark(settings: Settings, target_path: Path, threads: int, data_tests: str) -> EngineRun:
    """Spark's build: seeds, models and unit tests, and data tests as chosen
    (`all`, `sample`: one per generic test, or `none`, for a quicker run: a
    data test costs a few tenths of a second on a local Spark, against
    milliseconds on DuckDB)."""
    if data_tests == "all":
        return build_in_process("spark", settings, target_path, threads)
    run = build_in_process(
        "spark", settings, target_path, threads, extra=["--exclude", "test_type:data"]
    )
    if data_tests == "none" or not (target_path / "manifest.json").is_file():
        return run
    sample = sample_data_tests(target_path / "manifest.json")
    if not sample:
        return run
    tests = build_in_process(
        "spark", settings, target_path, threads, command="test", extra=["--select", *sample]
    )
    return merge_runs(run, tests)


def report_build(run: EngineRun, echo: Callable[[str], None], limit: int = 40) -> None:
    echo(run.summary())
    for line in run.problems[:limit]:
        echo(f"[{run.engine}]   {line}")
    if len(run.problems) > limit:
        echo(f"[{run.engine}]   ... and {len(run.problems) - limit} more")
    if run.error:
        echo(f"[{run.engine}]   {run.error}")


# --------------------------------------------------------------------------- the check


@dataclass
class CheckReport:
    """Outcome of a portability check."""

    builds: dict[str, EngineRun] = field(default_factory=dict)
    diffs: list[MartDiff] = field(default_factory=list)
    marts: list[Mart] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return all(b.success for b in self.builds.values()) and all(d.ok for d in self.diffs)


def format_report(report: CheckReport, engines: Sequence[str]) -> str:
    """A plain-text table: one line per mart with its rows on the reference and,
    per other engine, 'ok' or the count of differing/missing/extra rows; then
    the first difference of every mart that differs."""
    others = [e for e in engines if e != REFERENCE]
    by = {(d.mart, d.engine): d for d in report.diffs}
    name_width = max([len(f"{m.schema}.{m.name}") for m in report.marts] + [4])
    header = f"{'mart':<{name_width}}  {'rows':>7}" + "".join(f"  {e:<22}" for e in others)
    lines = [header, "-" * len(header)]
    details: list[str] = []
    for mart in report.marts:
        label = f"{mart.schema}.{mart.name}"
        ref_rows = next((d.reference_rows for d in report.diffs if d.mart == label), 0)
        cells = []
        for engine in others:
            d = by.get((label, engine))
            if d is None:
                cells.append("-")
            elif d.error:
                cells.append("ERROR")
                details.append(f"{label} on {engine}: {d.error}")
            elif d.ok:
                cells.append(f"ok ({d.rows})")
            else:
                cells.append(f"{d.rows} rows, {d.differing} diff, {d.missing}-/{d.extra}+")
                details.append(f"{label} on {engine}: {d.first_difference}")
        lines.append(f"{label:<{name_width}}  {ref_rows:>7}" + "".join(f"  {c:<22}" for c in cells))
    ok_count = sum(1 for d in report.diffs if d.ok)
    lines.append("")
    lines.append(f"{ok_count} of {len(report.diffs)} mart copies match {REFERENCE}")
    if details:
        lines.append("")
        lines.append("Differences (first per mart and engine):")
        lines.extend(f"  {line}" for line in details)
    return "\n".join(lines)


def _settings(base: Path) -> Settings:
    """The DuckDB warehouse sits in the engine's own folder, beside its dbt target."""
    return replace(Settings.under(base), warehouse_path=base / REFERENCE / "crm.duckdb")


def _process_cpu_seconds(pid: int) -> float | None:
    """User + system CPU seconds of a process (Linux /proc), None elsewhere."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def _cpu_summary(spark: Any) -> str:
    """CPU seconds spent: this process, its finished children (dbt), Spark's JVM.
    On a busy machine these say more than the wall-clock times."""
    import resource

    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    parts = [
        f"this process {own.ru_utime + own.ru_stime:.0f} s",
        f"dbt child processes {children.ru_utime + children.ru_stime:.0f} s",
    ]
    proc = getattr(getattr(getattr(spark, "sparkContext", None), "_gateway", None), "proc", None)
    jvm = _process_cpu_seconds(proc.pid) if proc is not None else None
    if jvm is not None:
        parts.append(f"Spark JVM {jvm:.0f} s")
    return "[time] CPU: " + ", ".join(parts)


@contextlib.contextmanager
def _timed(report: CheckReport, name: str, echo: Callable[[str], None]) -> Iterator[None]:
    started = time.perf_counter()
    try:
        yield
    finally:
        report.timings[name] = time.perf_counter() - started
        echo(f"[time] {name}: {report.timings[name]:.1f} s")


def run_check(
    work_dir: Path,
    engines: Sequence[str] = ENGINES,
    scale: float = 0.01,
    seed: int = 7,
    threads: int = 2,
    echo: Callable[[str], None] = print,
    spark_threads: int = 4,
    spark_data_tests: str = "all",
) -> CheckReport:
    """Seed the same data into every engine, build, and compare every mart.

    DuckDB and PostgreSQL build in child processes while Spark builds in this
    one (its session, started here, holds the raw copy and the metastore)."""
    import duckdb

    from crm_warehouse.generate import generate
    from crm_warehouse.load import load_landing

    engines = [REFERENCE, *[e for e in ENGINES if e in engines and e != REFERENCE]]
    report = CheckReport()
    settings = _settings(work_dir)
    env = {
        **os.environ,
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "DO_NOT_TRACK": "1",
        "DBT_PARTIAL_PARSE": "false",
        "CRM_DUCKDB_PATH": str(settings.warehouse_path),
    }
    os.environ.update({k: env[k] for k in ("DBT_SEND_ANONYMOUS_USAGE_STATS", "DO_NOT_TRACK")})

    with _timed(report, "generate + load into DuckDB", echo):
        generate(settings.landing_dir, scale=scale, seed=seed)
        load_landing(settings)

    server: PostgresServer | None = None
    spark: Any = None
    builds: list[SubprocessBuild] = []
    try:
        with _timed(report, "start engines + copy raw", echo):
            duck = duckdb.connect(str(settings.warehouse_path), read_only=True)
            try:
                if "postgres" in engines:
                    server = PostgresServer().start()
                    env.update(server.env())
                    n = copy_raw_to_postgres(duck, server, work_dir / "postgres" / "raw_csv")
                    echo(f"[postgres] server on 127.0.0.1:{server.port}, {n} raw rows copied")
                if "spark" in engines:
                    # one process holds the session: no metastore needed
                    os.environ.setdefault("CRM_SPARK_CATALOG", "in-memory")
                    spark = start_spark(work_dir / "spark")
                    n = copy_raw_to_spark(duck, spark)
                    echo(f"[spark] session {spark.version} (local), {n} raw rows copied")
            finally:
                duck.close()

        with _timed(report, "dbt build on every engine", echo):
            for engine in engines:
                if engine == "spark":
                    continue
                cmds = [
                    dbt_command(engine, settings, work_dir / engine / "target", threads),
                    dbt_command(
                        engine,
                        settings,
                        work_dir / engine / "target-incremental",
                        threads,
                        command="run",
                        extra=INCREMENTAL_SELECT,
                    ),
                ]
                builds.append(SubprocessBuild(engine, cmds, env, work_dir / engine / "dbt.log"))
            if spark is not None:
                os.environ.update({k: v for k, v in env.items() if k.startswith(("CRM_", "DBT_"))})
                run = build_spark(
                    settings, work_dir / "spark" / "target", spark_threads, spark_data_tests
                )
                if run.success:
                    again = build_in_process(
                        "spark",
                        settings,
                        work_dir / "spark" / "target-incremental",
                        spark_threads,
                        command="run",
                        extra=INCREMENTAL_SELECT,
                    )
                    run = merge_runs(run, relabel(again, "incremental "))
                report.builds["spark"] = run
                report_build(run, echo)
            for build in builds:
                run = build.wait()
                report.builds[build.engine] = run
                report_build(run, echo)
            builds = []

        with _timed(report, "compare marts", echo):
            _compare_all(report, engines, work_dir, settings, server, spark)
        echo(_cpu_summary(spark))
    finally:
        for build in builds:
            build.kill()
        if server is not None:
            server.stop()
        if spark is not None:
            spark.stop()
    echo("")
    echo(format_report(report, engines))
    return report


def _compare_all(
    report: CheckReport,
    engines: Sequence[str],
    work_dir: Path,
    settings: Settings,
    server: PostgresServer | None,
    spark: Any,
) -> None:
    import duckdb

    manifest = work_dir / REFERENCE / "target" / "manifest.json"
    report.marts = marts_from_manifest(manifest)
    duck = duckdb.connect(str(settings.warehouse_path), read_only=True)
    pg = server.connect() if server is not None else None
    try:
        for mart in report.marts:
            label = f"{mart.schema}.{mart.name}"
            try:
                reference = read_duckdb(duck, mart)
                kinds = duckdb_kinds(duck, mart)
            except Exception as exc:  # the reference build failed for this mart
                for engine in engines[1:]:
                    report.diffs.append(MartDiff(label, engine, 0, 0, error=f"{REFERENCE}: {exc}"))
                continue
            for engine in engines[1:]:
                try:
                    if engine == "postgres":
                        other = read_postgres(pg, mart)
                    elif engine == "spark":
                        other = read_spark(spark, mart)
                    else:
                        raise ValueError(f"unknown engine {engine}")
                except Exception as exc:
                    if engine == "postgres" and pg is not None:
                        pg.rollback()
                    first = str(exc).strip().splitlines()[0] if str(exc).strip() else repr(exc)
                    report.diffs.append(
                        MartDiff(label, engine, 0, len(reference.rows), error=first[:300])
                    )
                    continue
                report.diffs.append(
                    compare_tables(label, engine, reference, other, kinds, mart.key)
                )
    finally:
        duck.close()
        if pg is not None:
            pg.close()


def write_diff_csv(report: CheckReport, path: Path) -> None:
    """The comparison as CSV (mart, engine, rows, reference_rows, differing, missing, extra, first_difference)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            [
                "mart",
                "engine",
                "rows",
                "reference_rows",
                "differing",
                "missing",
                "extra",
                "first_difference",
                "error",
            ]
        )
        for d in report.diffs:
            writer.writerow(
                [
                    d.mart,
                    d.engine,
                    d.rows,
                    d.reference_rows,
                    d.differing,
                    d.missing,
                    d.extra,
                    d.first_difference,
                    d.error or "",
                ]
            )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m crm_warehouse.portability",
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
