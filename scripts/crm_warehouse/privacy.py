"""Personal data at rest: the salt of the personal-data hashes and file modes.

The policy (README "Privacy", docs/serving.md): the warehouse file holds raw
personal data and stays owner-only (directory 0700, files 0600), like the
quarantine (rejected rows are raw data); the published BI file and Parquet
exports hold no customer or contact personal data and are readable by the
owner and the group at most (directories 0750, files 0640).

Emails and phones are published only as salted sha256 hashes (dbt macro
pii_hash). The salt is CRM_PII_SALT when set, else a secret generated once
with `secrets` and kept beside the warehouse in `<warehouse>.pii_salt`
(mode 0600), so every refresh of the same warehouse hashes alike.
"""

from __future__ import annotations

import os
import re
import secrets
from pathlib import Path

from crm_warehouse.settings import Settings

SALT_ENV = "CRM_PII_SALT"
SALT_SUFFIX = ".pii_salt"
#: Characters a salt may hold (it is rendered into SQL as a string literal).
SALT_PATTERN = re.compile(r"[A-Za-z0-9._:+/=-]{16,256}")

PRIVATE_DIR, PRIVATE_FILE = 0o700, 0o600
SHARED_DIR, SHARED_FILE = 0o750, 0o640


def salt_path(settings: Settings) -> Path:
    """The salt file beside the warehouse file."""
    wh = settings.warehouse_path
    return wh.with_name(wh.name + SALT_SUFFIX)


def pii_salt(settings: Settings) -> str:
    """The salt of the personal-data hashes: CRM_PII_SALT, else the salt file,
    created (0600, 64 random hex characters) the first time."""
    given = os.environ.get(SALT_ENV, "").strip()
    if given:
        return _checked(given, SALT_ENV)
    path = salt_path(settings)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE)
        except FileExistsError:  # another process wrote it first
            pass
        else:
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_hex(32) + "\n")
    os.chmod(path, PRIVATE_FILE)
    return _checked(path.read_text().strip(), str(path))


def _checked(salt: str, origin: str) -> str:
    if not SALT_PATTERN.fullmatch(salt):
        raise ValueError(
            f"the personal-data salt from {origin} must be 16 to 256 characters "
            "of letters, digits and ._:+/=-"
        )
    return salt


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
    file, its WAL, the salt), its folder when it is the layout's own
    `warehouse/` (never a shared folder such as /tmp), dbt's target/ and logs/
    (compiled SQL holds the salt) and the quarantine."""
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


def redact_salt(folder: Path, settings: Settings) -> int:
    """Replace the salt in the files of `folder` (the published dbt docs embed
    the compiled SQL, which holds it as a literal); returns how many changed."""
    salt = pii_salt(settings)
    changed = 0
    for path in folder.rglob("*"):
        if not path.is_file() or path.is_symlink():
            continue
        text = path.read_bytes()
        if salt.encode() in text:
            path.write_bytes(text.replace(salt.encode(), b"<pii_salt>"))
            changed += 1
    return changed
