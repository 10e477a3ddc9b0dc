"""A new warehouse starts from the parse another warehouse of the project kept
(crm_warehouse.shared_parse): before, every new warehouse folder (an import,
a test) parsed the whole project, because dbt's partial-parse check holds
the DuckDB file's path. The parses here are real: `dbt parse` of a
two-model project in a temporary folder, on DuckDB files in different
folders; dbt's perf_info.json says how many files it parsed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from dbt_probe import dbt_probe, probe_settings

from crm_warehouse.build import parse, target_path
from crm_warehouse.settings import Settings
from crm_warehouse.shared_parse import cache_file, kept_parse, profile_hash, vars_of

pytestmark = [pytest.mark.slow]

_MODELS = {
    "models/plain.sql": "select 1 as n",
    # read while parsing: dbt must parse this file again when the value changes
    "models/aliased.sql": (
        "{{ config(alias=env_var('PROBE_ALIAS', 'first_alias')) }} select 2 as n"
    ),
}


def _parsed(settings: Settings) -> tuple[int, int, dict[str, str]]:
    """(files dbt parsed, files it knows, alias of each model) of the last parse."""
    assert parse(settings).success
    target = target_path(settings)
    perf = json.loads((target / "perf_info.json").read_text())
    manifest = json.loads((target / "manifest.json").read_text())
    aliases = {
        node["name"]: node["alias"]
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model"
    }
    return perf["parsed_path_count"], perf["path_count"], aliases


def test_a_new_warehouse_reuses_the_kept_parse_and_dbt_still_checks_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CRM_DBT_TARGET", raising=False)
    monkeypatch.delenv("PROBE_ALIAS", raising=False)
    root = dbt_probe(tmp_path, "parse_probe", _MODELS)

    parsed, known, aliases = _parsed(probe_settings(root, tmp_path / "a"))
    assert parsed == known > 0, "the first warehouse parses everything"
    assert cache_file(root).is_file()
    assert aliases == {"plain": "plain", "aliased": "first_alias"}

    parsed, _, again = _parsed(probe_settings(root, tmp_path / "b"))
    assert parsed == 0, "a warehouse in another folder starts from the kept parse"
    assert again == aliases

    monkeypatch.setenv("PROBE_ALIAS", "second_alias")
    parsed, known, aliases = _parsed(probe_settings(root, tmp_path / "c"))
    assert 0 < parsed < known, "a changed variable read while parsing: its file again"
    assert aliases == {"plain": "plain", "aliased": "second_alias"}

    parsed, known, _ = _parsed(probe_settings(root, tmp_path / "d", "other.duckdb"))
    assert parsed == known, "another file name is another database: a full parse"


def _parsed_with_vars(settings: Settings, dbt_vars: str | None) -> tuple[int, int]:
    """(files dbt parsed, files it knows) of `dbt parse [--vars dbt_vars]`."""
    from crm_warehouse.build import run_dbt

    args = ["parse"] if dbt_vars is None else ["parse", "--vars", dbt_vars]
    assert run_dbt(settings, args).success
    perf = json.loads((target_path(settings) / "perf_info.json").read_text())
    return perf["parsed_path_count"], perf["path_count"]


def test_builds_with_other_vars_keep_their_own_parse(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """dbt parses in full when the vars differ from its parse's. A build with
    --vars keeps its parse beside the one builds without vars start from,
    instead of replacing it (the next build without vars parsed in full)."""
    monkeypatch.delenv("CRM_DBT_TARGET", raising=False)
    monkeypatch.delenv("PROBE_ALIAS", raising=False)
    root = dbt_probe(tmp_path, "vars_probe", _MODELS)
    lookback = "{lookback_minutes: 0}"

    parsed, known = _parsed_with_vars(probe_settings(root, tmp_path / "a"), None)
    assert parsed == known > 0
    parsed, known = _parsed_with_vars(probe_settings(root, tmp_path / "b"), lookback)
    assert parsed == known, "other vars: a full parse"
    assert kept_parse(root, lookback).is_file()

    parsed, _ = _parsed_with_vars(probe_settings(root, tmp_path / "c"), None)
    assert parsed == 0, "no vars: the parse kept without vars, not the last one kept"
    parsed, _ = _parsed_with_vars(probe_settings(root, tmp_path / "d"), lookback)
    assert parsed == 0, "the same vars again: their own kept parse"
    assert vars_of(["build", "--vars", lookback, "-s", "x"]) == lookback
    assert vars_of(["build", f"--vars={lookback}"]) == lookback
    assert vars_of(["build", "-s", "x"]) is None


def test_a_moved_project_parses_again_and_reads_its_seeds_where_it_is(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A parse holds absolute paths: a seed's CSV is read from its node's
    root_path. A project moved with its target/ (kept parse included) and its
    old folder gone must parse in full, else `dbt seed` looks for the CSV in
    the old folder ("No files found that match the pattern ...")."""
    import shutil

    from crm_warehouse.build import run_dbt

    monkeypatch.delenv("CRM_DBT_TARGET", raising=False)
    old = dbt_probe(
        tmp_path / "old", "parse_probe", {**_MODELS, "seeds/rates.csv": "code,rate\nEUR,1.1\n"}
    )
    parsed, known, _ = _parsed(probe_settings(old, tmp_path / "a"))
    assert parsed == known > 0 and cache_file(old).is_file()

    new = tmp_path / "new" / "project"
    shutil.copytree(old, new)  # target/parse_cache and all
    shutil.rmtree(old)
    settings = probe_settings(new, tmp_path / "b")
    parsed, known, _ = _parsed(settings)
    assert parsed == known, "a kept parse of another folder: a full parse"
    result = run_dbt(settings, ["seed"])
    assert result.success, result.error or [(n.unique_id, n.message) for n in result.nodes]


def test_the_fingerprint_drops_only_the_folder_of_the_path() -> None:
    def keys(path: str, threads: int = 1) -> list[tuple[str, object]]:
        return [("path", path), ("database", "wh"), ("threads", threads)]

    assert profile_hash(keys("/a/wh.duckdb")) == profile_hash(keys("/b/c/wh.duckdb"))
    assert profile_hash(keys("/a/wh.duckdb")) != profile_hash(keys("/a/other.duckdb"))
    assert profile_hash(keys("/a/wh.duckdb")) != profile_hash(keys("/a/wh.duckdb", threads=2))
    # ... and holds the project's folder when given
    assert profile_hash(keys("/a/wh.duckdb"), "/p") == profile_hash(keys("/b/wh.duckdb"), "/p")
    assert profile_hash(keys("/a/wh.duckdb"), "/p") != profile_hash(keys("/a/wh.duckdb"), "/q")
    # no path (PostgreSQL, Spark): dbt's own fingerprint
    import pprint

    from dbt.contracts.files import FileHash

    other = [("host", "localhost"), ("dbname", "crm")]
    assert profile_hash(other) == FileHash.from_contents(pprint.pformat(sorted(other)))


def test_a_kept_file_is_replaced_whole_or_not_at_all(tmp_path: Path) -> None:
    from crm_warehouse.shared_parse import replaced_atomically

    kept = tmp_path / "parse_cache" / "kept.json"
    with replaced_atomically(kept) as temporary:
        temporary.write_text("first")
    assert kept.read_text() == "first"
    with pytest.raises(RuntimeError), replaced_atomically(kept) as temporary:
        temporary.write_text("half")
        raise RuntimeError("the writer failed")
    assert kept.read_text() == "first"
    assert sorted(p.name for p in kept.parent.iterdir()) == ["kept.json"]
