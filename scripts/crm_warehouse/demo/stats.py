"""The exact counts of the generation report, computed with DuckDB over the
rows as written (docs/demo_data.md defines each count).

Hidden columns next to the contract columns: _batch (file order), _pos (row in
the file), _malformed ('' or the defect), _ver (the version column's instant;
0 without one), _del (soft-deleted), _submitted (leads).
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from crm_warehouse.demo import config
from crm_warehouse.demo.render import MALFORMED_KINDS, Rendered
from crm_warehouse.ingest.contract import Table
from crm_warehouse.settings import sql_identifier


def seed_values(root: Path) -> dict[tuple[str, str], set[str]]:
    """Raw values each seed maps (lower case, trimmed)."""
    out: dict[tuple[str, str], set[str]] = {}
    for key, (file, column) in config.SEED_MAPPED.items():
        with (root / "seeds" / file).open(encoding="utf-8", newline="") as f:
            out[key] = {row[column].strip().lower() for row in csv.DictReader(f)}
    return out


class Stats:
    """Computes one table's counts; `ref_keys` holds every table's record keys."""

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        root: Path,
        ref_keys: dict[str, pa.Array],
        submissions_dir: Path | None = None,
    ) -> None:
        self.con = con
        self.seeds = seed_values(root)
        self.ref_keys = ref_keys
        #: Where the leads' submissions go when they must be counted over all shards.
        self.submissions_dir = submissions_dir
        self._registered: set[str] = set()

    def _ref(self, table: str) -> str:
        name = f"_keys_{table}"
        if name not in self._registered:
            self.con.register(name, pa.table({"k": self.ref_keys[table]}))
            self._registered.add(name)
        return name

    def scalar(self, sql: str) -> int:
        rows = self.con.execute(sql).fetchall()
        return int(rows[0][0]) if rows and rows[0][0] is not None else 0

    def table(self, r: Rendered) -> dict[str, Any]:
        t: Table = r.table
        con = self.con
        con.register("_t", r.data)
        try:
            return self._table(t, r)
        finally:
            con.unregister("_t")
            for v in ("_cur", "_loadable"):
                con.execute(f"drop view if exists {v}").fetchall()

    def _table(self, t: Table, r: Rendered) -> dict[str, Any]:
        con = self.con
        pk = sql_identifier(t.primary_key)
        cols = ", ".join(sql_identifier(c) for c in t.column_names)
        con.execute(
            "create or replace temp view _loadable as select * from _t where _malformed = ''"
        ).fetchall()
        con.execute(
            f"""create or replace temp view _cur as
            select * from (
                select *, row_number() over (partition by {pk} order by _ver desc, _batch desc, _pos desc) as _rn
                from _loadable
            ) where _rn = 1 and not _del"""
        ).fetchall()
        out: dict[str, Any] = {"format": config.file_format(t.name)}
        out["rows_written"] = r.data.num_rows
        kinds = dict(
            con.execute(
                "select _malformed, count(*) from _t where _malformed <> '' group by 1"
            ).fetchall()
        )
        out["malformed_rows"] = {k: int(kinds.get(k, 0)) for k in MALFORMED_KINDS}
        out["loadable_rows"] = out["rows_written"] - sum(out["malformed_rows"].values())
        dup = f"""
            select *, row_number() over (partition by {cols} order by _batch, _pos) as _dup_rn,
                max(_ver) over (partition by {pk}) as _max_ver
            from _loadable"""
        rows = con.execute(
            f"""select count(*) filter (where _dup_rn > 1),
                count(*) filter (where _dup_rn = 1 and _ver < _max_ver) from ({dup})"""
        ).fetchall()
        out["exact_duplicates"], out["superseded_versions"] = int(rows[0][0]), int(rows[0][1])
        out["records"] = self.scalar(f"select count(distinct {pk}) from _loadable")
        out["soft_deleted_records"] = self.scalar(
            f"""select count(*) from (
                select _del, row_number() over (partition by {pk} order by _ver desc, _batch desc, _pos desc) as rn
                from _loadable) where rn = 1 and _del"""
        )
        out["current_records"] = out["records"] - out["soft_deleted_records"]
        self._record_level(t, out)
        return out

    def _record_level(self, t: Table, out: dict[str, Any]) -> None:
        names = set(t.column_names)
        emails = [c for tb, c in config.EMAIL_COLUMNS if tb == t.name and c in names]
        if emails:
            out["invalid_emails"] = {
                c: self.scalar(
                    f"""select count(*) from _cur where nullif(trim({sql_identifier(c)}), '') is not null
                    and not regexp_full_match(trim({sql_identifier(c)}), '{config.EMAIL_PATTERN}')"""
                )
                for c in emails
            }
        phones = [c for tb, c in config.PHONE_COLUMNS if tb == t.name and c in names]
        if phones:
            out["invalid_phones"] = {c: self.scalar(self.invalid_phone_sql(c)) for c in phones}
        mapped = [
            (c, self.seeds[(tb, c)])
            for (tb, c) in config.SEED_MAPPED
            if tb == t.name and c in names
        ]
        if mapped:
            out["unmapped_values"] = {}
            # an append-only table (no version column) counts every loadable row
            rel = "_cur" if t.version_column else "_loadable"
            for c, known in mapped:
                rows = self.con.execute(
                    f"""select lower(trim({sql_identifier(c)})) as v, count(*) from {rel}
                    where nullif(trim({sql_identifier(c)}), '') is not null group by 1 order by 1"""
                ).fetchall()
                out["unmapped_values"][c] = {v: int(n) for v, n in rows if v not in known}
        if t.name == "leads":
            out["duplicate_submissions"] = self.scalar(_duplicate_submissions_sql(_SUBMISSIONS))
            if self.submissions_dir is not None:
                path = (
                    self.submissions_dir
                    / f"leads_{len(list(self.submissions_dir.iterdir()))}.parquet"
                )
                self.con.execute(
                    f"copy ({_SUBMISSIONS}) to '{_path_literal(path)}' (format parquet)"
                ).fetchall()
        refs = [
            (c, ref) for (tb, c), ref in config.REFERENCES.items() if tb == t.name and c in names
        ]
        if refs:
            out["missing_references"] = {
                c: self.scalar(
                    f"""select count(*) from _cur left join {self._ref(ref)} as r on {sql_identifier(c)} = r.k
                    where nullif(trim({sql_identifier(c)}), '') is not null and r.k is null"""
                )
                for c, ref in refs
            }
        if "currency_code" in names:
            rows = self.con.execute(
                "select currency_code, count(*) from _cur where currency_code is not null group by 1 order by 1"
            ).fetchall()
            out["currencies"] = {str(k): int(v) for k, v in rows}

    @staticmethod
    def invalid_phone_sql(c: str) -> str:
        digits = f"length(regexp_replace(trim({sql_identifier(c)}), '[^0-9]', '', 'g'))"
        return f"""select count(*) from _cur where nullif(trim({sql_identifier(c)}), '') is not null and (
            not regexp_full_match(trim({sql_identifier(c)}), '{config.PHONE_PATTERN}')
            or {digits} < {config.PHONE_MIN_DIGITS} or {digits} > {config.PHONE_MAX_DIGITS})"""


#: The leads' submissions a duplicate submission is looked for in.
_SUBMISSIONS = """select lower(trim(email)) as email, form_id, _submitted from _cur
    where nullif(trim(email), '') is not null and nullif(trim(form_id), '') is not null
        and _submitted is not null"""


def _duplicate_submissions_sql(submissions: str) -> str:
    return f"""select count(*) from (
        select _submitted - lag(_submitted) over (
            partition by email, form_id order by _submitted) as gap
        from ({submissions})
    ) where gap <= {config.DUPLICATE_WINDOW_SECONDS}"""


def _path_literal(path: Path) -> str:
    return str(path).replace("'", "''")


def duplicate_submissions(con: duckdb.DuckDBPyConnection, scratch: Path) -> int:
    """Duplicate submissions over the leads of every shard (two shards' leads
    can share an email and a form), from the files Stats wrote into `scratch`."""
    files = _path_literal(scratch / "leads_*.parquet")
    rows = con.execute(
        _duplicate_submissions_sql(f"select * from read_parquet('{files}')")
    ).fetchall()
    return int(rows[0][0])


def merge_counts(total: dict[str, Any] | None, more: dict[str, Any]) -> dict[str, Any]:
    """A table's counts over two shards: numbers add up, nested counts (by column
    or value) too; anything else (the format) is the first shard's."""
    if total is None:
        return more
    for key, value in more.items():
        if key not in total:
            total[key] = value
        elif isinstance(value, dict):
            total[key] = merge_counts(dict(total[key]), value)
        elif isinstance(value, int) and not isinstance(value, bool):
            total[key] += value
    return total
