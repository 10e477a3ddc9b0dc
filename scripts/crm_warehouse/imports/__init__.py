"""Importing a real CRM export through a mapping file (see docs/import.md).

`importer` checks and runs an import (`check_export`, `import_export`);
`mapping` parses a mapping file into the model of `spec`. The other modules
are their steps, each named in its own docstring. Nothing is imported here:
callers import the module they need, so reading a mapping does not load the
whole import.
"""
