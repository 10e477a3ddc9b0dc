"""PostgreSQL for the portability check: a throw-away server (Debian's
postgresql package, installed when missing and run as root) on a free local
port, the raw tables copied in, and a mart read back."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from crm_dev.portability.compare import Mart, Table, canonical
from crm_dev.portability.engines.apt import apt_install
from crm_dev.portability.engines.reference import raw_tables
from crm_warehouse.settings import sql_identifier


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


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
        apt_install("postgresql")
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
                cur.execute(f"create database {sql_identifier(self.dbname)}")
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


def copy_raw_to_postgres(duck: Any, server: PostgresServer, csv_dir: Path) -> int:
    """Create schema raw in PostgreSQL with every DuckDB raw table and COPY the
    rows in (CSV written by DuckDB; null unquoted, empty text quoted). Returns rows copied."""
    csv_dir.mkdir(parents=True, exist_ok=True)
    total = 0
    with contextlib.closing(server.connect()) as con:
        with con.cursor() as cur:
            cur.execute("create schema if not exists raw")
            for table, columns in raw_tables(duck).items():
                cols = ", ".join(f"{sql_identifier(c)} {postgres_type(t)}" for c, t in columns)
                cur.execute(f"drop table if exists raw.{sql_identifier(table)}")
                cur.execute(f"create table raw.{sql_identifier(table)} ({cols})")
                path = csv_dir / f"{table}.csv"
                duck.execute(
                    f"copy (select * from raw.{sql_identifier(table)}) to '{path}' (format csv, header false)"
                )
                with path.open(encoding="utf-8") as handle:
                    cur.copy_expert(
                        f"copy raw.{sql_identifier(table)} from stdin with (format csv)", handle
                    )
                total += cur.rowcount if cur.rowcount > 0 else 0
        con.commit()
    return total


def read_postgres(con: Any, mart: Mart) -> Table:
    with con.cursor() as cur:
        cur.execute(f"select * from {sql_identifier(mart.schema)}.{sql_identifier(mart.name)}")
        columns = [d[0] for d in cur.description]
        rows = [tuple(canonical(v) for v in row) for row in cur.fetchall()]
    con.rollback()
    return Table(columns, rows)
