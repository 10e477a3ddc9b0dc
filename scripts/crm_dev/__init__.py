"""Development tools of the CRM KPI warehouse: checks and benchmarks a
contributor runs, kept outside the runtime package `crm_warehouse`."""
