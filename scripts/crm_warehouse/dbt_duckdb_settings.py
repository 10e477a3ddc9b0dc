"""DuckDB settings for dbt's connection, set once per database.

dbt-duckdb runs a profile's `settings` as one `SET` per setting on every
cursor it opens, and it opens one per node: about 700 cursors in a build of
this project, four `SET`s each. The settings this project needs are global
to the DuckDB database (the memory limit, the checkpoint threshold, no
vacuuming at checkpoints, the time zone as `SET GLOBAL`), so setting them on
every cursor only repeats the work, and in a build that work is not small:
on the X Education import (9,240 rows, quiet machine, alternated pairs) the
build took 2-11 % less with the settings set once, and the process spent
half the system CPU (docs/performance.md, "dbt's settings once per
database"). What inside DuckDB makes a repeated `SET` costly mid-build was
not found: alone, on an idle database, the four take 0.3 ms.

This module is a dbt-duckdb plugin (profiles/profiles.yml, `plugins:` of the
duckdb target): dbt-duckdb calls `configure_connection` when it opens the
database, and every cursor it then opens inherits the settings.
"""

from __future__ import annotations

import re
from typing import Any

from dbt.adapters.duckdb.plugins import BasePlugin

from crm_warehouse.settings import sql_literal

#: A DuckDB setting's name: letters, digits and underscores.
SETTING_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def set_global_statements(settings: dict[str, Any]) -> list[str]:
    """One `SET GLOBAL name = 'value'` per setting; a name that is not a plain
    identifier is refused (it would be pasted into SQL)."""
    statements = []
    for name, value in settings.items():
        if not SETTING_NAME.fullmatch(str(name)):
            raise ValueError(f"profiles.yml: {name!r} is not a DuckDB setting's name")
        statements.append(f"set global {name} = {sql_literal(str(value))}")
    return statements


class Plugin(BasePlugin):
    """Sets the plugin's `config` (profiles.yml) on the database, once."""

    def initialize(self, plugin_config: dict[str, Any]) -> None:
        self.statements = set_global_statements(plugin_config)

    def configure_connection(self, conn: Any) -> None:
        for statement in self.statements:
            conn.execute(statement)
