"""The house rules of the dbt project and the Python package, checked on the
dbt manifest and the source tree (docs/contributing.md, "House rules").

dbt-project-evaluator cannot be installed here (no package hub), so its rules
that the house adopts are written out below and run by the test command
(tests/python/unit/test_project_rules.py). A model or source may depart from a rule
deliberately: it says so beside itself, in its YAML config,

    config:
      meta:
        house_departures:
          too_many_parents: "why this model needs them"

and the check accepts that departure (and only it) for that node.

Run by hand: python -m crm_dev.project_rules [path/to/manifest.json]
"""

from __future__ import annotations

import ast
import json
import sys
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

#: A model may have at most this many direct parents (models, sources, seeds).
MAX_PARENTS = 6
#: Python limits of the packages under scripts/.
MAX_MODULE_LINES = 600
MAX_FUNCTION_LINES = 80

#: (folder prefix under models/, allowed name prefixes): the first match wins.
NAMING = [
    ("staging/crm/base/", ("base_crm__",)),
    ("staging/crm/", ("stg_crm__",)),
    ("staging/crm_loader/", ("stg_crm_loader__",)),
    ("staging/reference/", ("stg_reference__",)),
    ("intermediate/", ("int_",)),
    ("marts/core/", ("dim_", "fct_")),
    ("marts/data_quality/", ("dq_",)),
    ("marts/", ("kpi_", "rpt_", "int_")),
]
#: Tiers: models that core facts and dimensions are built from live under
#: models/intermediate/; the intermediates built on core live beside the
#: marts that use them, under models/marts/<area>/intermediate/.
CORE_PREFIXES = ("dim_", "fct_")


@dataclass(frozen=True)
class Violation:
    rule: str
    node: str
    detail: str

    def __str__(self) -> str:
        return f"{self.rule}: {self.node}: {self.detail}"


def _departures(node: dict) -> dict[str, str]:
    meta = (node.get("config") or {}).get("meta") or node.get("meta") or {}
    return dict(meta.get("house_departures") or {})


def _model_path(node: dict) -> str:
    """The node's path under models/ ('staging/crm/stg_crm__leads.sql')."""
    return node["original_file_path"].removeprefix("models/")


def manifest_violations(manifest: dict) -> list[Violation]:
    """Every violation of the dbt layering, fan-in, naming and freshness rules."""
    nodes = manifest["nodes"]
    models = {uid: n for uid, n in nodes.items() if n["resource_type"] == "model"}
    found: list[Violation] = []
    for _uid, node in sorted(models.items()):
        found.extend(_model_violations(node, nodes))
    found.extend(_source_violations(manifest))
    found.extend(_yaml_name_violations(manifest))
    found.extend(_constraint_violations(models, nodes))
    return found


def _tested(nodes: dict, test_name: str) -> set:
    """The nodes a generic test named `test_name` is attached to."""
    return {
        node.get("attached_node")
        for node in nodes.values()
        if node["resource_type"] == "test"
        and (node.get("test_metadata") or {}).get("name") == test_name
    }


def _declares_present_columns(node: dict) -> bool:
    """Whether a column of the model declares meta not_null_where_present."""
    return any(
        "not_null_where_present" in (column.get("meta") or {})
        for column in (node.get("columns") or {}).values()
    )


def _declares_constraints(node: dict) -> bool:
    """Whether the model or one of its columns declares a constraint."""
    return bool(node.get("constraints")) or any(
        column.get("constraints") for column in (node.get("columns") or {}).values()
    )


#: (the generic test, whether a model declares what it checks, what it declares)
_DECLARED_AND_TESTED = (
    ("constraints_hold", _declares_constraints, "constraints"),
    (
        "not_null_where_present",
        _declares_present_columns,
        "columns with meta not_null_where_present",
    ),
)


def _constraint_violations(models: dict, nodes: dict) -> Iterator[Violation]:
    """A model declaring constraints has the constraints_hold test that checks
    them (dbt enforces constraints only under a contract; none is enforced
    here, tests/generic/constraints_hold.sql), and only such a model has it;
    likewise a model whose columns declare meta not_null_where_present and
    the test of that name (tests/generic/not_null_where_present.sql)."""
    for test_name, declares_what, what in _DECLARED_AND_TESTED:
        tested = _tested(nodes, test_name)
        for uid, node in sorted(models.items()):
            declares = declares_what(node)
            if declares != (uid in tested) and "unchecked_constraints" not in _departures(node):
                detail = (
                    f"declares {what} and has no {test_name} test"
                    if declares
                    else f"has a {test_name} test and declares no {what}"
                )
                yield Violation("unchecked_constraints", node["name"], detail)


def _model_violations(node: dict, nodes: dict) -> Iterator[Violation]:
    name, path = node["name"], _model_path(node)
    parents = [p for p in node["depends_on"]["nodes"] if not p.startswith(("macro.", "test."))]
    sources = [p for p in parents if p.startswith("source.")]
    others = [p for p in parents if not p.startswith("source.")]
    departures = _departures(node)
    checks: list[tuple[str, bool, str]] = [
        (
            "direct_join_to_source",
            bool(sources) and bool(others),
            f"reads {len(sources)} source(s) and joins {', '.join(sorted(others))}",
        ),
        (
            "multiple_sources_joined",
            len(sources) > 1,
            f"reads {len(sources)} sources",
        ),
        (
            "source_outside_staging",
            bool(sources) and not path.startswith("staging/"),
            "reads a source; only staging (and base) models may",
        ),
        (
            "too_many_parents",
            len(parents) > MAX_PARENTS,
            f"{len(parents)} parents (at most {MAX_PARENTS})",
        ),
        (
            "staging_joins",
            path.startswith("staging/crm/")
            and not path.startswith("staging/crm/base/")
            and len(parents) > 1,
            f"a staging model has one parent; this one has {sorted(parents)}",
        ),
        (
            "model_naming",
            not _name_allowed(name, path),
            f"name does not fit its folder models/{path}",
        ),
        (
            "intermediate_tier",
            path.startswith("intermediate/") and _reads_core(parents, nodes),
            "an intermediate built on core belongs under models/marts/<area>/intermediate/",
        ),
        (
            "mart_intermediate_tier",
            path.startswith("marts/")
            and "/intermediate/" in path
            and not _reads_core(parents, nodes, transitively_via_mart_intermediates=True),
            "a mart intermediate is built on core; one that is not belongs under models/intermediate/",
        ),
        (
            "undescribed",
            not (node.get("description") or "").strip(),
            "the model has no description",
        ),
    ]
    for rule, broken, detail in checks:
        if broken and rule not in departures:
            yield Violation(rule, name, detail)
    for column, spec in (node.get("columns") or {}).items():
        if not (spec.get("description") or "").strip() and "undescribed" not in departures:
            yield Violation("undescribed", name, f"column {column} has no description")


def _name_allowed(name: str, path: str) -> bool:
    for folder, prefixes in NAMING:
        if path.startswith(folder):
            if folder == "marts/" and "/intermediate/" in path:
                return name.startswith("int_")
            if folder == "marts/":
                return name.startswith(("kpi_", "rpt_"))
            return name.startswith(prefixes)
    return False


def _reads_core(parents: list[str], nodes: dict, transitively_via_mart_intermediates=False) -> bool:
    for parent in parents:
        node = nodes.get(parent)
        if node is None or node["resource_type"] != "model":
            continue
        if node["name"].startswith(CORE_PREFIXES):
            return True
        path = _model_path(node)
        if (
            transitively_via_mart_intermediates
            and path.startswith("marts/")
            and "/intermediate/" in path
        ):
            return True
    return False


def _source_violations(manifest: dict) -> Iterator[Violation]:
    for source in sorted(manifest["sources"].values(), key=lambda s: s["unique_id"]):
        freshness = source.get("freshness") or {}
        has = any((freshness.get(k) or {}).get("count") for k in ("warn_after", "error_after"))
        name = f"{source['source_name']}.{source['name']}"
        if not has and "source_freshness" not in _departures(source):
            yield Violation("source_freshness", name, "no freshness (warn_after/error_after)")
        if not source.get("loaded_at_field") and "source_freshness" not in _departures(source):
            yield Violation("source_freshness", name, "no loaded_at_field")


def _yaml_name_violations(manifest: dict) -> Iterator[Violation]:
    files: dict[str, set[str]] = defaultdict(set)
    for node in list(manifest["nodes"].values()) + list(manifest["sources"].values()):
        patch = node.get("patch_path") or (
            node.get("original_file_path") if node["resource_type"] == "source" else None
        )
        if patch and patch.endswith((".yml", ".yaml")):
            path = patch.split("://", 1)[-1]
            files[Path(path).name].add(path)
    for name, paths in sorted(files.items()):
        if len(paths) > 1:
            yield Violation("yaml_name_unique", name, f"{len(paths)} files: {sorted(paths)}")


# ---------------------------------------------------------------- Python


def python_violations(
    root: Path, packages: tuple[str, ...] = ("crm_warehouse", "crm_dev")
) -> list[Violation]:
    """Module and function sizes, import cycles and private names imported
    across modules, in the packages under `root` (scripts/)."""
    found: list[Violation] = []
    imports: dict[str, set[str]] = {}
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            module = ".".join(path.relative_to(root).with_suffix("").parts)
            module = module.removesuffix(".__init__")
            text = path.read_text(encoding="utf-8")
            tree = ast.parse(text, filename=str(path))
            lines = len(text.splitlines())
            if lines > MAX_MODULE_LINES:
                found.append(
                    Violation("module_size", module, f"{lines} lines (at most {MAX_MODULE_LINES})")
                )
            for func in ast.walk(tree):
                if isinstance(func, ast.FunctionDef | ast.AsyncFunctionDef):
                    size = func.end_lineno - func.lineno + 1
                    if size > MAX_FUNCTION_LINES:
                        found.append(
                            Violation(
                                "function_size",
                                f"{module}.{func.name}",
                                f"{size} lines (at most {MAX_FUNCTION_LINES})",
                            )
                        )
            imports[module] = set()
            for target, names in _imports_of(tree, module, path.name == "__init__.py"):
                if not target.startswith(packages):
                    continue
                # `from package import module` imports the module itself.
                imports[module].update([target, *(f"{target}.{n}" for n in names)])
                for alias in names:
                    if alias.startswith("_") and not alias.startswith("__"):
                        found.append(
                            Violation("private_import", module, f"imports {alias} from {target}")
                        )
            if module.startswith("crm_warehouse") and any(
                t.startswith("crm_dev") for t in imports[module]
            ):
                found.append(
                    Violation("runtime_imports_dev_tools", module, "crm_warehouse imports crm_dev")
                )
    for cycle in _cycles(imports):
        found.append(Violation("import_cycle", cycle[0], " -> ".join(cycle)))
    return found


def _imports_of(tree: ast.Module, module: str, is_package: bool) -> Iterator[tuple[str, list[str]]]:
    package_parts = module.split(".") if is_package else module.split(".")[:-1]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, []
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package_parts[: len(package_parts) - node.level + 1]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            yield target, [a.name for a in node.names]


def _cycles(imports: dict[str, set[str]]) -> list[list[str]]:
    """One representative cycle per strongly connected group of modules."""
    graph = {
        module: {_resolve(target, imports) for target in targets} - {None, module}
        for module, targets in imports.items()
    }
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []
    counter = [0]

    def visit(node: str) -> None:
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for nxt in graph.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return groups


def _resolve(target: str, imports: dict[str, set[str]]) -> str | None:
    """The module of an import target (`a.b.name` -> `a.b` when `a.b` is a module)."""
    while target:
        if target in imports:
            return target
        target = target.rpartition(".")[0]
    return None


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    root = Path(__file__).resolve().parents[2]
    manifest_path = Path(argv[0]) if argv else root / "target" / "manifest.json"
    found = manifest_violations(json.loads(manifest_path.read_text(encoding="utf-8")))
    found += python_violations(root / "scripts")
    for violation in found:
        print(violation)
    print(f"{len(found)} violation(s)")
    return 1 if found else 0


if __name__ == "__main__":
    raise SystemExit(main())
