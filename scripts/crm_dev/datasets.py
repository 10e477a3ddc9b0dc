"""Where the public datasets are read from (never copied into the repository):
`../shared/datasets` beside it, or the folder CRM_DATASETS_DIR names. The
benchmark's import and the tests' imports and tie-outs read them here."""

from __future__ import annotations

import os
from pathlib import Path

from crm_warehouse.settings import project_root

DATASETS = Path(os.environ.get("CRM_DATASETS_DIR") or project_root().parent / "shared" / "datasets")
