{#- The table and view materializations on DuckDB: the old relation is dropped
    and the new one created in ONE transaction, as dbt-duckdb itself does for
    a table with foreign keys. dbt's defaults create `<name>__dbt_tmp`, rename
    the old relation to `<name>__dbt_backup` and the new one into place,
    commit, then drop the backup (and dbt-duckdb's table looks up the old
    table's indexes first): three or four more statements per model, each
    through dbt's per-statement machinery. On the X Education import's
    warehouse, `dbt run` of the 208 models ran 1,853 statements with the
    defaults and 1,339 with these (debug log), and took 7.0-9.1 s against
    9.4-12.1 s in six alternated pairs (docs/performance.md, "One
    transaction per table and view").

    What a reader or a failed build sees is the same: the drop and the create
    commit together, so until the commit every other connection reads the old
    relation, and a model whose SQL fails (or breaks its contract) rolls back
    with the old relation and its rows in place
    (tests/python/functional/test_duckdb_replace.py). Contracts, indexes,
    grants, hooks and persisted docs go through dbt's own macros as before.
    A Python model's table is written under the temporary name first (below)
    and swapped in inside the transaction. DuckDB only: PostgreSQL and Spark
    keep their adapters' materializations. -#}


{#- Before the create (after the pre-hooks outside the transaction): the
    pre-hooks inside it, then the old relation dropped inside it. Returns the
    old relation (none when there was none). -#}
{% macro duckdb_replace_begin() %}
    {%- set existing_relation = load_cached_relation(this) -%}
    {{ run_hooks(pre_hooks, inside_transaction=True) }}
    {%- if existing_relation is not none %}
        {#- a statement of the transaction (auto_begin), unlike
            adapter.drop_relation, which commits the drop on its own -#}
        {% call statement("drop_existing") -%}
            drop {{ existing_relation.type }} {{ existing_relation }}
        {%- endcall %}
        {% do adapter.cache_dropped(existing_relation) %}
    {%- endif %}
    {{ return(existing_relation) }}
{% endmacro %}


{#- After the create (the materialization's own `main` statement: dbt runs a
    Python model's code only from a statement of the materialization itself):
    indexes, hooks, grants, docs, then the commit. -#}
{% macro duckdb_replace_finish(target_relation, existing_relation) %}
    {% do adapter.cache_added(target_relation) %}
    {%- if target_relation.is_table %}
        {% do create_indexes(target_relation) %}
    {%- endif %}
    {{ run_hooks(post_hooks, inside_transaction=True) }}
    {% do apply_grants(target_relation, config.get("grants"), should_revoke=should_revoke(existing_relation, full_refresh_mode=True)) %}
    {% do persist_docs(target_relation, model) %}
    {{ adapter.commit() }}
    {{ run_hooks(post_hooks, inside_transaction=False) }}
    {{ return({"relations": [target_relation]}) }}
{% endmacro %}


{% materialization table, adapter="duckdb", supported_languages=['sql', 'python'] %}
    {%- set target_relation = this.incorporate(type="table") -%}
    {{ run_hooks(pre_hooks, inside_transaction=False) }}
    {%- if model["language"] == "python" %}
        {#- dbt-duckdb writes a Python model's table through a cursor of its
            own, outside this transaction: under the temporary name, committed,
            which then replaces the old table inside the transaction -#}
        {%- set intermediate_relation = make_intermediate_relation(target_relation) -%}
        {{ drop_relation_if_exists(load_cached_relation(intermediate_relation)) }}
        {% call statement("main", language="python") -%}
            {{ create_table_as(False, intermediate_relation, compiled_code, "python") }}
        {%- endcall %}
        {%- set existing_relation = duckdb_replace_begin() -%}
        {{ adapter.rename_relation(intermediate_relation, target_relation) }}
    {%- else %}
        {%- set existing_relation = duckdb_replace_begin() -%}
        {% call statement("main") -%}
            {{ create_table_as(False, target_relation, compiled_code) }}
        {%- endcall %}
    {%- endif %}
    {{ return(duckdb_replace_finish(target_relation, existing_relation)) }}
{% endmaterialization %}


{% materialization view, adapter="duckdb", supported_languages=['sql'] %}
    {%- set target_relation = this.incorporate(type="view") -%}
    {{ run_hooks(pre_hooks, inside_transaction=False) }}
    {%- set existing_relation = duckdb_replace_begin() -%}
    {% call statement("main") -%}
        {{ get_create_view_as_sql(target_relation, compiled_code) }}
    {%- endcall %}
    {{ return(duckdb_replace_finish(target_relation, existing_relation)) }}
{% endmaterialization %}
