"""Personal data at rest: the salt of the personal-data hashes and file modes.

The policy (README "Privacy", docs/serving.md): the warehouse file holds raw
personal data and stays owner-only (directory 0700, files 0600), like the
quarantine (rejected rows are raw data); the published BI file and Parquet
exports hold no customer or contact personal data and are readable by the
owner and the group at most (directories 0750, files 0640).

Emails and phones are published only as salted sha256 hashes (dbt macro
pii_hash). The salt is a secret of the warehouse: 64 random hex characters
(`secrets`) the loader writes once, when it first opens the warehouse, into
the one-row table raw._pii_salt, beside the raw data it protects. dbt reads it
from there at run time (model stg_crm_loader__pii_salt, a scalar subquery in
pii_hash), so the value never appears in compiled SQL, the manifest, dbt's
logs or the published docs: only the table's name does. Every later load
keeps it, so every refresh of the same warehouse hashes alike.
"""

from __future__ import annotations

import os
import secrets
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from crm_warehouse.settings import Settings

#: The loader-owned table holding the salt (schema raw: never published).
SALT_TABLE = "raw._pii_salt"
#: One row (salt_id = 1); a salt too short to be a secret is refused.
SALT_DDL = f"""
create table if not exists {SALT_TABLE} (
    salt_id integer primary key check (salt_id = 1),
    salt varchar not null check (length(salt) >= 32),
    created_at timestamp not null
)"""

PRIVATE_DIR, PRIVATE_FILE = 0o700, 0o600
SHARED_DIR, SHARED_FILE = 0o750, 0o640


def ensure_pii_salt(con: Any) -> bool:
    """Create raw._pii_salt with a fresh random salt unless the warehouse has
    one (the loader calls it with schema raw in place). True when created now.

    The value goes in as a bound parameter and is never returned, printed or
    logged; a warehouse keeps its salt for life."""
    con.execute(SALT_DDL)
    before = con.execute(f"select count(*) from {SALT_TABLE}").fetchone()[0]
    if before:
        return False
    created = datetime.now(UTC).replace(tzinfo=None)
    con.execute(
        f"insert or ignore into {SALT_TABLE} values (1, ?, ?)", [secrets.token_hex(32), created]
    )
    return True


def restrict_tree(root: Path, dir_mode: int, file_mode: int) -> None:
    """chmod `root` and everything under it (symlinks left alone)."""
    if not root.exists() or root.is_symlink():
        return
    if root.is_file():
        os.chmod(root, file_mode)
        return
    os.chmod(root, dir_mode)
    for folder, dirs, files in os.walk(root):
        for name in dirs:
            path = Path(folder, name)
            if not path.is_symlink():
                os.chmod(path, dir_mode)
        for name in files:
            path = Path(folder, name)
            if not path.is_symlink():
                os.chmod(path, file_mode)


def make_private(settings: Settings) -> None:
    """Owner-only modes on the warehouse's files (`<warehouse>*`: the DuckDB
    file, which holds the raw data and the salt, and its WAL), its folder when
    it is the layout's own `warehouse/` (never a shared folder such as /tmp),
    dbt's target/ and logs/ (the SQL run on the raw data, not for sharing) and
    the quarantine."""
    wh = settings.warehouse_path
    if wh.parent.is_dir() and wh.parent.name == "warehouse":  # the folder it owns
        os.chmod(wh.parent, PRIVATE_DIR)
    for path in wh.parent.glob(wh.name + "*"):
        if path.is_file() and not path.is_symlink():
            os.chmod(path, PRIVATE_FILE)
    for folder in (wh.parent / "target", settings.root / "target", settings.root / "logs"):
        if folder.is_dir() and not folder.is_symlink():
            os.chmod(folder, PRIVATE_DIR)
    restrict_tree(settings.quarantine_dir, PRIVATE_DIR, PRIVATE_FILE)


def restrict_published(out_dir: Path) -> None:
    """Owner read-write, group read, others nothing on the publish folder."""
    restrict_tree(out_dir, SHARED_DIR, SHARED_FILE)
