"""The README's privacy sentence, checked on a built warehouse: the BI file and
every Parquet export hold no customer's or contact's email, phone or name from
the landed files, the hashes are keyed by the warehouse's salt (not the bare
md5/sha256 a lookup table reverses), the salt itself appears in none of dbt's
target/ or logs/ nor anything published, a build without a salt stops with a
message naming `crm-warehouse load`, and the files holding raw personal data
are owner-only while the publish outputs are readable by the group at most."""

from __future__ import annotations

import hashlib
import re
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest

from crm_warehouse.build import run_dbt, target_path
from crm_warehouse.privacy import SALT_TABLE
from crm_warehouse.serve.publish import MARTS_FILE, is_withheld
from crm_warehouse.settings import Settings, project_root

pytestmark = pytest.mark.xdist_group("warehouse")

#: A run of characters a phone number is written with, 9 digits or more.
PHONE_RUN = re.compile(r"\+?\(?\d[\d\s().\-/]{7,}\d")


def _landed(landing: Path, table: str, columns: list[str]) -> list[tuple[str | None, ...]]:
    """Rows of `columns` (text; None where a file lacks the column) in the landed
    files of `table`, read with DuckDB on their own (damaged rows skipped)."""
    out: list[tuple[str | None, ...]] = []
    con = duckdb.connect()
    for path in sorted((landing / table).glob("*")):
        name = path.name.lower()
        lit = "'" + str(path).replace("'", "''") + "'"
        if ".csv" in name:
            rel = f"read_csv({lit}, all_varchar=true, ignore_errors=true, strict_mode=false)"
        elif ".jsonl" in name or ".json" in name:
            rel = f"read_json({lit}, format='newline_delimited', ignore_errors=true)"
        elif name.endswith(".parquet"):
            rel = f"read_parquet({lit})"
        else:
            continue
        try:
            have = {r[0] for r in con.execute(f"describe select * from {rel}").fetchall()}
            picks = ", ".join(
                f'cast("{c}" as varchar)' if c in have else "null::varchar" for c in columns
            )
            out += con.execute(f"select {picks} from {rel}").fetchall()
        except duckdb.Error:
            continue  # a file the demo damaged on purpose
    return out


def _values(rows: list[tuple[str | None, ...]], i: int) -> set[str]:
    return {r[i] for r in rows if r[i] and r[i].strip()}


def _published_text(publish_dir: Path) -> Iterator[tuple[str, str, set[str]]]:
    """(where, column, distinct text values) of every text column of the BI
    file and of every Parquet export."""
    con = duckdb.connect(str(publish_dir / MARTS_FILE), read_only=True)
    cols = con.execute(
        "select schema_name, table_name, column_name from duckdb_columns() "
        "where database_name = current_database() and data_type = 'VARCHAR'"
    ).fetchall()
    for schema, table, col in cols:
        rows = con.execute(f'select distinct "{col}" from "{schema}"."{table}"').fetchall()
        yield f"{schema}.{table}", col, {r[0] for r in rows if r[0] is not None}
    con.close()
    parquet = sorted((publish_dir / "parquet").rglob("*.parquet"))
    assert parquet, "no Parquet exports to scan"
    con = duckdb.connect()
    for path in parquet:
        rel = "read_parquet('" + str(path).replace("'", "''") + "')"
        for col, typ, *_ in con.execute(f"describe select * from {rel}").fetchall():
            if typ == "VARCHAR":
                rows = con.execute(f'select distinct "{col}" from {rel}').fetchall()
                yield str(path.relative_to(publish_dir)), col, {r[0] for r in rows if r[0]}


def _personal(landing: Path) -> dict[str, set[str]]:
    """The customers' and contacts' personal values of the landed demo files
    (full names of contacts and leads, less any that is also a rep's name)."""
    cols = ["first_name", "last_name", "email", "phone"]
    people = _landed(landing, "contacts", cols) + _landed(landing, "leads", cols)
    subscribers = _landed(landing, "email_list_events", ["subscriber_email"])
    reps = _landed(landing, "reps", ["rep_name", "email"])
    emails = _values(people, 2) | _values(subscribers, 0) | _values(reps, 1)
    names = {f"{f.strip()} {la.strip()}".lower() for f, la, *_ in people if f and la}
    rep_names = {n.strip().lower() for n in _values(reps, 0)}
    return {
        "emails": emails,
        "phones": _values(people, 3),
        "names": names - rep_names,
        "rep_names": rep_names,
    }


def _digits(value: str) -> str:
    return re.sub(r"\D", "", value)


def _any_of(words: set[str]) -> re.Pattern[str]:
    """One pattern finding any of `words` inside a text (longest first)."""
    return re.compile("|".join(re.escape(w) for w in sorted(words, key=len, reverse=True)))


def _word_runs(text: str, longest: int) -> set[str]:
    """Every run of 2 to `longest` consecutive words of `text`, space-joined."""
    words = text.split()
    return {
        " ".join(words[i : i + n]) for n in range(2, longest + 1) for i in range(len(words) - n + 1)
    }


def _leak(value: str, emails: re.Pattern[str], names: set[str], phones: set[str]) -> str:
    """What personal value `value` holds, anywhere in it ('' when none): a
    landed email, a landed phone in any format (compared on its last 9
    digits, so "+1 (201) 436-5591" and "2014365591" are the same phone) or a
    contact's or lead's full name (as a run of words)."""
    v = value.strip().lower()
    if "@" in v and emails.search(v):
        return "email"
    if any(_digits(m)[-9:] in phones for m in PHONE_RUN.findall(value)):
        return "phone"
    if " " in v and (v in names or _word_runs(re.sub(r"[^\w\s'-]", " ", v), 4) & names):
        return "person name"
    return ""


def test_no_customer_personal_data_in_bi_file_or_parquet(demo_warehouse: Any) -> None:
    settings = demo_warehouse.settings
    raw = _personal(settings.landing_dir)
    assert len(raw["emails"]) > 50 and len(raw["phones"]) > 50 and len(raw["names"]) > 50, {
        k: len(v) for k, v in raw.items()
    }
    emails = _any_of({e.strip().lower() for e in raw["emails"]})
    names = {" ".join(n.split()) for n in raw["names"]}
    phones = {_digits(p)[-9:] for p in raw["phones"] if len(_digits(p)) >= 9}
    leaks: list[str] = []
    scanned = 0
    employee_columns = set()
    for where, col, values in _published_text(settings.publish_dir):
        scanned += 1
        if {v.strip().lower() for v in values} & raw["rep_names"]:
            employee_columns.add(col)
        for value in values:
            kind = _leak(value, emails, names, phones)
            if kind:
                leaks.append(f"{where}.{col}: {kind} {value!r}")
    assert scanned > 100
    assert not leaks, leaks[:20]
    # employees' names are published on purpose, in the columns the policy names
    policy = _privacy_section()
    assert employee_columns, "no rep name published: the per-rep KPIs are missing"
    undocumented = {c for c in employee_columns if f"`{c}`" not in policy}
    assert not undocumented, f"rep names in columns docs/serving.md does not name: {undocumented}"


def _privacy_section() -> str:
    """The "## Privacy" section of docs/serving.md (empty when there is none)."""
    text = (project_root() / "docs" / "serving.md").read_text()
    match = re.search(r"^## Privacy\n(.*?)(?=^## )", text, re.MULTILINE | re.DOTALL)
    return match.group(1) if match else ""


def _hash_columns(publish_dir: Path) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for _where, col, values in _published_text(publish_dir):
        if "hash" in col:
            out.setdefault(col, set()).update(values)
    return out


def test_published_hashes_are_keyed_by_the_warehouse_salt(demo_warehouse: Any) -> None:
    settings = demo_warehouse.settings
    raw = _personal(settings.landing_dir)
    forms = set()
    for value in raw["emails"] | raw["phones"]:
        for form in {value, value.strip(), value.strip().lower(), "+" + _digits(value)}:
            forms.add(hashlib.md5(form.encode()).hexdigest())
            forms.add(hashlib.sha256(form.encode()).hexdigest())
    hashes = _hash_columns(settings.publish_dir)
    assert {"email_hash", "phone_hash", "subscriber_email_hash"} <= set(hashes)
    for col, values in hashes.items():
        assert values, col
        reversible = values & forms
        assert not reversible, f"{col}: {len(reversible)} values are an unsalted hash"
    # the hash is sha256(salt + normalised value), so refreshes with the same salt agree
    salt = _salt(settings)
    keyed = {hashlib.sha256((salt + e.strip().lower()).encode()).hexdigest() for e in raw["emails"]}
    assert hashes["email_hash"] & keyed and hashes["subscriber_email_hash"] & keyed


def _salt(settings: Settings) -> str:
    """The warehouse's salt, from the loader's table (the only place it is kept)."""
    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    try:
        rows = con.execute(f"select salt from {SALT_TABLE}").fetchall()
    finally:
        con.close()
    assert len(rows) == 1 and re.fullmatch(r"[0-9a-f]{64}", rows[0][0]), "no salt of 64 hex digits"
    return str(rows[0][0])


def test_salt_appears_in_no_compiled_sql_log_or_published_file(demo_warehouse: Any) -> None:
    """The salt is read at run time from its table: compiled SQL, the manifest,
    dbt's logs, the published docs, the BI file and the Parquet exports never
    hold its value (only the table's name)."""
    settings = demo_warehouse.settings
    secret = _salt(settings).encode()
    target = target_path(settings)
    compiled = target / "compiled" / "crm_warehouse" / "models" / "marts" / "core"
    assert b"stg_crm_loader__pii_salt" in (compiled / "dim_contacts.sql").read_bytes()
    folders = [target, settings.root / "logs", settings.publish_dir]
    files = [p for f in folders if f.is_dir() for p in f.rglob("*") if p.is_file()]
    names = {p.name for p in files}
    assert {"manifest.json", "dbt.log", MARTS_FILE, "index.html"} <= names, names
    # the refresh logged at debug (conftest): the statements that read the salt are there
    logs = [p for p in files if p.name.startswith("dbt.log")]
    assert any(b'from "crm"."raw"."_pii_salt"' in p.read_bytes() for p in logs), logs
    holding = [str(p) for p in files if secret in p.read_bytes()]
    assert not holding, holding
    # the BI file and Parquet store text compressed: look at their values too
    in_values = [
        f"{where}.{col}"
        for where, col, values in _published_text(settings.publish_dir)
        if any(secret.decode() in v for v in values)
    ]
    assert not in_values, in_values


def test_build_without_a_salt_stops_naming_the_loader(tmp_path: Path) -> None:
    """A warehouse the loader never salted (one loaded by an older version):
    the run stops before any model with a message naming the missing salt
    table and `crm-warehouse load` (the on-run-start check), rather than
    hashing with no or a default salt. (A salt table that exists but is
    empty is stopped by the salt's staging model, macros/cross_db/pii_hash.sql.)"""
    settings = Settings.under(tmp_path)
    settings.warehouse_path.parent.mkdir(parents=True)
    con = duckdb.connect(str(settings.warehouse_path))
    con.execute("create schema raw")
    con.close()
    result = run_dbt(settings, ["run", "--select", "stg_crm_loader__pii_salt"])
    assert not result.success and not result.nodes
    assert result.error and "raw._pii_salt" in result.error
    assert "Run `crm-warehouse load`" in result.error


def _modes(root: Path) -> dict[str, int]:
    paths = [root, *root.rglob("*")] if root.is_dir() else [root]
    return {str(p): stat.S_IMODE(p.stat().st_mode) for p in paths if not p.is_symlink()}


def test_personal_data_files_are_owner_only(demo_warehouse: Any) -> None:
    settings = demo_warehouse.settings
    wh = settings.warehouse_path
    # the folder itself (0700 closes what dbt writes in it: target/ holds compiled SQL)
    folders = [wh.parent, wh.parent / "target"]
    private = {**_modes(wh), **{str(f): stat.S_IMODE(f.stat().st_mode) for f in folders}}
    private.update(_modes(settings.quarantine_dir))
    assert any(Path(p).is_file() for p in _modes(settings.quarantine_dir)), "nothing quarantined"
    open_ = {p: oct(m) for p, m in private.items() if m & 0o077}
    assert not open_, open_
    published = _modes(settings.publish_dir)
    assert (settings.publish_dir / MARTS_FILE).is_file() and len(published) > 10
    shared = {p: oct(m) for p, m in published.items() if m & 0o027}
    assert not shared, shared


@pytest.mark.parametrize(
    ("column", "withheld"),
    [
        ("contact_name", True),
        ("lead_full_name", True),
        ("customer_name", True),
        ("email", True),
        ("email_hash", False),
        ("rep_name", False),
        ("team_name", False),
        ("account_name", False),
    ],
)
def test_publisher_withholds_customer_names_not_employee_names(column: str, withheld: bool) -> None:
    assert is_withheld(column, "VARCHAR") is withheld
