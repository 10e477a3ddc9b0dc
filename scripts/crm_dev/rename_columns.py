"""Rename published mart columns across the tree from a renames file
(the format of crm_dev.compare_marts: `columns: {<schema>.<table>: {old: new}}`).

    dbt parse && python -m crm_dev.rename_columns scripts/crm_dev/renames/16_measure_names.yml \
        [--manifest target/manifest.json] [--dry-run]

Idempotent: a second run finds no old name and changes nothing. Every match is
a whole word, and each file gets only the renames of the tables it is about:

- a model's SQL: its own renames and those of its parent models. A qualified
  reference `cte.old` is renamed only when `cte` reads a parent that renames
  the column (`select * from {{ ref(...) }}`) or computes it in this file (a
  CTE fed by a macro or an unrenamed parent keeps its name); SQL string
  literals outside Jinja (data such as metric names) are never touched.
- model YAML: the block of a renamed model (columns, data tests), a unit
  test's `expect` rows (its model's renames) and `given` rows (the renames of
  that input's model), and the doc blocks such a model's YAML refers to.
- any other text file (tests, scripts, docs, README, exposures): the renames
  of every published table it names, when those tables agree on the new name.

A name renamed in a file that already uses the new name is skipped with a
warning (a collision to resolve by hand). Review every hunk (`git diff`).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import yaml

PROJECT = Path(__file__).resolve().parents[2]
#: Folders and files scanned besides models/ (text files only, never data).
OTHER_ROOTS = ("tests", "scripts", "docs", "analyses", "bench", "README.md")
TEXT_SUFFIXES = {".py", ".md", ".sql", ".yml", ".yaml", ".txt"}
#: Files that talk about renames themselves, or record them for readers.
EXCLUDED = (
    "scripts/crm_dev/",
    "tests/python/unit/test_compare_marts.py",
    "tests/python/unit/test_rename_columns.py",
    "docs/contributing.md",
    "CHANGELOG.md",
)
JINJA = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.S)
SQL_STRING = re.compile(r"'(?:[^']|'')*'")
CTE = re.compile(r"(?:\bwith|,)\s*(\w+)\s+as\s*\(", re.I)
REF = re.compile(r"\{\{\s*ref\(\s*['\"](\w+)['\"]\s*\)\s*\}\}")


@dataclass
class Project:
    """Models by name: their files, parents and renames."""

    renames: dict[str, dict[str, str]]  # model name -> {old: new}
    sql_path: dict[str, Path] = field(default_factory=dict)
    parents: dict[str, list[str]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


def load_project(mapping_file: Path, manifest_file: Path) -> Project:
    """Resolve each `<schema>.<table>` key to its model (following `tables:`
    renames of sibling renames files when a table was renamed since)."""
    mapping = yaml.safe_load(mapping_file.read_text()) or {}
    table_moves: dict[str, str] = {}
    for sibling in sorted(mapping_file.parent.glob("*.yml")):
        table_moves.update((yaml.safe_load(sibling.read_text()) or {}).get("tables") or {})
    manifest = json.loads(manifest_file.read_text())
    models = {n["name"]: n for n in manifest["nodes"].values() if n["resource_type"] == "model"}
    project = Project(renames={})
    for name, node in models.items():
        project.sql_path[name] = PROJECT / node["original_file_path"]
        project.parents[name] = [
            p.split(".")[-1] for p in node["depends_on"]["nodes"] if p.startswith("model.")
        ]
    for key, columns in (mapping.get("columns") or {}).items():
        table = table_moves.get(key, key).split(".")[-1]
        if table not in models:
            raise SystemExit(f"{key}: no model {table} in {manifest_file}")
        project.renames[table] = {o: n for o, n in columns.items() if o != n}
    return project


def word(name: str) -> str:
    return rf"(?<!\w){re.escape(name)}(?!\w)"


def masked(text: str, sql: bool) -> str:
    """The text with SQL string literals outside Jinja blanked (same length)."""
    if not sql:
        return text
    out, last = [], 0
    for jinja in JINJA.finditer(text):
        out.append(SQL_STRING.sub(lambda m: " " * len(m.group()), text[last : jinja.start()]))
        out.append(jinja.group())
        last = jinja.end()
    out.append(SQL_STRING.sub(lambda m: " " * len(m.group()), text[last:]))
    return "".join(out)


def cte_bodies(text: str) -> dict[str, str]:
    bodies: dict[str, str] = {}
    for match in CTE.finditer(text):
        depth, pos = 1, match.end()
        while pos < len(text) and depth:
            depth += {"(": 1, ")": -1}.get(text[pos], 0)
            pos += 1
        bodies[match.group(1).lower()] = text[match.end() : pos - 1]
    return bodies


def guarded(
    text: str, renames: dict[str, str], where: str, warnings: list[str], defines: str
) -> dict[str, str]:
    """The renames whose old name the text uses, less those whose new name it
    already defines (`defines` is the pattern of a definition, `{}` the name):
    a true collision, left with a warning for a hand edit."""
    kept = {}
    for old, new in renames.items():
        if not re.search(word(old), text):
            continue
        if re.search(defines.format(re.escape(new)), text, re.I | re.M):
            warnings.append(f"{where}: already defines {new}; {old} left for a hand edit")
            continue
        kept[old] = new
    return kept


#: A column the SQL computes (`as name` not opening a CTE) / a YAML column entry.
SQL_DEFINES = r"\bas\s+{}\b(?!\s*\()"
YAML_DEFINES = r"^\s*- name:\s*['\"]?{}['\"]?\s*$"


def rename_sql_model(project: Project, model: str) -> tuple[str, str] | None:
    """(old text, new text) of a model's SQL, or None without a rename."""
    path = project.sql_path[model]
    text = path.read_text()
    own = project.renames.get(model, {})
    from_parents: dict[str, str] = {}
    for parent in project.parents.get(model, []):
        for old, new in project.renames.get(parent, {}).items():
            if from_parents.setdefault(old, new) != new:
                project.warnings.append(f"{path}: parents rename {old} differently")
    combined = {**from_parents, **own}
    view = masked(text, sql=True)
    combined = {old: new for old, new in combined.items() if re.search(word(old), view)}
    if not combined:
        return None
    bodies = cte_bodies(view)
    ref_of = {c: refs[0] for c, b in bodies.items() if len(refs := REF.findall(b)) == 1}
    pattern = re.compile(
        r"(?<![\w.])(?:(\w+)\.)?("
        + "|".join(map(re.escape, sorted(combined, key=len, reverse=True)))
        + r")(?!\w)"
    )

    def new_name(match: re.Match) -> str | None:
        qualifier, old = match.group(1), match.group(2)
        if qualifier is None:
            before, after = view[: match.start()], view[match.end() :]
            if re.match(r"\s*\.|\s+as\s*\(", after, re.I) or re.search(
                r"\b(from|join)\s+$", before, re.I
            ):
                return None  # a CTE or table of the same name, not the column
            return combined[old]
        cte = qualifier.lower()
        if cte in bodies and re.search(SQL_DEFINES.format(re.escape(old)), bodies[cte], re.I):
            return combined[old]  # computed in this file
        if cte in ref_of:
            return project.renames.get(ref_of[cte], {}).get(old)
        if cte in bodies and "select" not in JINJA.sub("", bodies[cte]).lower():
            return None  # computed by a macro: keeps its name
        return combined[old]

    hits = [(m, new) for m in pattern.finditer(view) if (new := new_name(m)) is not None]
    renamed = {m.group(2): combined[m.group(2)] for m, _ in hits}
    kept = guarded(view, renamed, str(path.relative_to(PROJECT)), project.warnings, SQL_DEFINES)
    out, last = [], 0
    for match, new in hits:
        if match.group(2) in kept:
            out.append(text[last : match.start(2)] + new)
            last = match.end(2)
    out.append(text[last:])
    new_text = tidy_sql("".join(out), set(combined.values()))
    return (text, new_text) if new_text != text else None


MAX_LINE = 120  # .sqlfluff max_line_length


def tidy_sql(text: str, new_names: set[str]) -> str:
    """Undo what a longer name breaks: `x.name as name` (a self-alias) and
    Jinja macro calls past the line length, wrapped one argument a line."""
    for name in new_names:
        text = re.sub(rf"(\w+\.{name}) as {name}(?!\w)", r"\1", text)
    lines = []
    for line in text.split("\n"):
        indent = line[: len(line) - len(line.lstrip())]
        call = re.fullmatch(r"(\s*)\{\{ (\w+)\((.*)\) \}\}(.*)", line)
        if len(line) > MAX_LINE and call:
            lines.append(f"{indent}{{{{ {call.group(2)}(")
            lines.extend(wrap_arguments(indent + "    ", call.group(3)))
            lines.append(f"{indent}) }}}}{call.group(4)}")
        elif len(line) > MAX_LINE and re.fullmatch(r"\s*'[^']*'(\s*,\s*'[^']*')+,?", line):
            lines.extend(wrap_arguments(indent, line.strip()))
        else:
            lines.append(line)
    return "\n".join(lines)


def wrap_arguments(indent: str, arguments: str) -> list[str]:
    """Macro arguments on one line if they fit, else one a line."""
    if len(indent) + len(arguments) <= MAX_LINE:
        return [indent + arguments]
    parts, depth, quoted, current = [], 0, False, ""
    for char in arguments:
        quoted = quoted != (char == "'")
        depth += 0 if quoted else {"(": 1, "[": 1, ")": -1, "]": -1}.get(char, 0)
        if char == "," and depth == 0 and not quoted:
            parts.append(current.strip())
            current = ""
        else:
            current += char
    if current.strip():
        parts.append(current.strip())
    trailing = "," if arguments.rstrip().endswith(",") else ""
    return [f"{indent}{part}," for part in parts[:-1]] + [indent + parts[-1] + trailing]


def replace_words(text: str, renames: dict[str, str]) -> str:
    for old, new in renames.items():
        text = re.sub(word(old), new, text)
    return text


def yaml_blocks(lines: list[str]) -> list[tuple[int, int, str]]:
    """(start, end, first line) of each list item `- name:` / `- input:` /
    `expect:` block, nested blocks included, end exclusive."""
    starts = [
        (i, len(line) - len(line.lstrip()))
        for i, line in enumerate(lines)
        if re.match(r"\s*(- (name|input):|expect:)", line)
    ]
    blocks = []
    for i, indent in starts:
        end = i + 1
        while end < len(lines):
            line = lines[end]
            stripped = line.strip()
            if (
                stripped
                and len(line) - len(line.lstrip()) <= indent
                and not stripped.startswith("#")
            ):
                break
            end += 1
        blocks.append((i, end, lines[i]))
    return blocks


def rename_model_yaml(
    project: Project, path: Path, doc_renames: dict[str, dict[str, str]]
) -> str | None:
    """A models YAML file's renamed text; collects doc blocks to rename."""
    text = path.read_text()
    lines = text.splitlines(keepends=True)
    edits: list[tuple[int, int, dict[str, str]]] = []
    unit_tests: list[tuple[int, int, str]] = []
    given_lines: set[int] = set()
    for start, end, first in yaml_blocks(lines):
        block = "".join(lines[start:end])
        named = re.match(r"\s*- name:\s*['\"]?(\w+)", first)
        unit = re.search(r"^\s*model:\s*['\"]?(\w+)", block, re.M)
        if named and unit:
            unit_tests.append((start, end, unit.group(1)))
        elif named and named.group(1) in project.renames:
            renames = project.renames[named.group(1)]
            edits.append((start, end, renames))
            for doc in re.findall(r"doc\(\s*['\"](\w+)['\"]\s*\)", block):
                doc_renames.setdefault(doc, {}).update(renames)
        if re.match(r"\s*- input:", first):
            given_lines.update(range(start, end))
            given = re.match(r"\s*- input:\s*ref\(\s*['\"](\w+)['\"]", first)
            if given and given.group(1) in project.renames:
                edits.append((start, end, project.renames[given.group(1)]))
    for start, end, model in unit_tests:  # its text and expect rows, not its inputs
        for i in range(start, end):
            if i not in given_lines and model in project.renames:
                edits.append((i, i + 1, project.renames[model]))
    for start, end, renames in edits:
        where = f"{path.relative_to(PROJECT)}:{start + 1}"
        kept = guarded("".join(lines[start:end]), renames, where, project.warnings, YAML_DEFINES)
        for i in range(start, end):
            lines[i] = replace_words(lines[i], kept)
    new_text = "".join(lines)
    return new_text if new_text != text else None


def rename_docs(
    path: Path, doc_renames: dict[str, dict[str, str]], warnings: list[str]
) -> str | None:
    text = path.read_text()

    def one(match: re.Match) -> str:
        renames = doc_renames.get(match.group(1))
        if not renames:
            return match.group(0)
        return replace_words(match.group(0), renames)

    new_text = re.sub(
        r"\{%-?\s*docs\s+(\w+)\s*-?%\}.*?\{%-?\s*enddocs\s*-?%\}", one, text, flags=re.S
    )
    return new_text if new_text != text else None


def rename_other(project: Project, path: Path) -> str | None:
    """A file outside models/: the renames of the tables it names."""
    text = path.read_text()
    renames: dict[str, str] = {}
    clashing: set[str] = set()
    for table, columns in project.renames.items():
        if re.search(rf"(?<!\w){table}(?!\w)", text):
            for old, new in columns.items():
                if renames.setdefault(old, new) != new:
                    clashing.add(old)
    where = str(path.relative_to(PROJECT))
    for old in sorted(clashing):
        project.warnings.append(f"{where}: tables it names rename {old} differently; left")
        del renames[old]
    new_text = replace_words(text, renames)
    return new_text if new_text != text else None


def other_files() -> list[Path]:
    files: list[Path] = []
    for root in OTHER_ROOTS:
        base = PROJECT / root
        candidates = [base] if base.is_file() else sorted(base.rglob("*"))
        files.extend(p for p in candidates if p.is_file() and p.suffix in TEXT_SUFFIXES)
    return [
        p
        for p in files
        if not any(str(p.relative_to(PROJECT)).startswith(e) for e in EXCLUDED)
        and "__pycache__" not in p.parts
    ]


def plan(project: Project) -> dict[Path, str]:
    """New text of every file the renames change."""
    changes: dict[Path, str] = {}
    for model in sorted(project.sql_path):
        if project.sql_path[model].suffix == ".sql" and (
            result := rename_sql_model(project, model)
        ):
            changes[project.sql_path[model]] = result[1]
    doc_renames: dict[str, dict[str, str]] = {}
    models_dir = PROJECT / "models"
    for path in sorted(models_dir.rglob("*.yml")):
        if (new_text := rename_model_yaml(project, path, doc_renames)) is not None:
            changes[path] = new_text
    for path in sorted(models_dir.rglob("*.md")):
        if (new_text := rename_docs(path, doc_renames, project.warnings)) is not None:
            changes[path] = new_text
    for path in other_files():
        if (new_text := rename_other(project, path)) is not None:
            changes[path] = new_text
    return changes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "renames", type=Path, help="renames YAML (columns: {schema.table: {old: new}})"
    )
    parser.add_argument("--manifest", type=Path, default=PROJECT / "target" / "manifest.json")
    parser.add_argument("--dry-run", action="store_true", help="list the files, write nothing")
    parser.add_argument(
        "--fix-style",
        action="store_true",
        help="then `ruff format` the changed Python and `sqlfluff fix` long lines of the changed SQL",
    )
    args = parser.parse_args(argv)
    project = load_project(args.renames, args.manifest)
    changes = plan(project)
    for path, new_text in sorted(changes.items()):
        print(f"{'would rename in' if args.dry_run else 'renamed in'} {path.relative_to(PROJECT)}")
        if not args.dry_run:
            path.write_text(new_text)
    for warning in project.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    print(f"{len(changes)} file(s) {'to change' if args.dry_run else 'changed'}")
    if args.fix_style and changes and not args.dry_run:
        fix_style(sorted(changes))
    return 0


def fix_style(paths: list[Path]) -> None:
    """Longer names push lines past the linters' limits: reflow them."""
    bin_dir = Path(sys.executable).parent
    python = [str(p) for p in paths if p.suffix == ".py"]
    sql = [str(p) for p in paths if p.suffix == ".sql"]
    if python:
        subprocess.run([str(bin_dir / "ruff"), "format", *python], cwd=PROJECT, check=False)
    if sql:
        env = {**os.environ, "CRM_DUCKDB_PATH": os.environ.get("CRM_DUCKDB_PATH", ":memory:")}
        command = [str(bin_dir / "sqlfluff"), "fix", "--rules", "LT05,AL09", *sql]
        subprocess.run(command, cwd=PROJECT, env=env, check=False)


if __name__ == "__main__":
    sys.exit(main())
