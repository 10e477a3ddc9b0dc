"""Installing a missing system package (Debian's apt-get, as root): the
PostgreSQL server and the Java runtime Spark needs."""

from __future__ import annotations

import os
import shutil
import subprocess


def apt_install(*packages: str) -> None:
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
