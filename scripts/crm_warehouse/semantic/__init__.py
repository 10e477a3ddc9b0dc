"""The semantic layer: MetricFlow over the marts, offline (docs/semantic_layer.md).

`session` opens MetricFlow on a warehouse of this project with PyPI's update
check switched off, `run_mf` runs the `mf` CLI through it, and
`materialise_saved_queries` writes the saved queries into the `metrics` schema
that publish copies to the BI file.
"""

from crm_warehouse.semantic.exports import (
    SCHEMA,
    ExportResult,
    materialise_saved_queries,
)
from crm_warehouse.semantic.offline import MetricFlowSession, run_mf, session

__all__ = [
    "SCHEMA",
    "ExportResult",
    "MetricFlowSession",
    "materialise_saved_queries",
    "run_mf",
    "session",
]
