"""CRM KPI warehouse: load, validate, build and publish CRM exports with dbt on DuckDB."""

__version__ = "0.1.0"
