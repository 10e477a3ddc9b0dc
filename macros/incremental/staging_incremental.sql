{#- Incremental staging (stg_crm__<table>): a run reclassifies only the records
    (primary keys) that received a raw row since the newest row it holds,
    minus a lookback window, and replaces their rows (strategy delete+insert
    on the primary key). A record whose latest version is a soft delete is
    emitted as a marker row (loaded_at null) that replaces the old row and is
    then deleted by the post-hook stg_delete_removed_records. A full build
    reads base_crm__<table> as before; both use classify_versions, the one
    definition of the latest version. docs/performance.md says what forces a
    full rebuild (dbt build --full-refresh). -#}

{#- The earliest _loaded_at an incremental run looks at: the newest loaded_at
    the model holds minus var incremental_lookback_minutes (default 10). Loads
    and builds take the warehouse lock in turn, so every row landed after a
    build is stamped later than every row it read; the window covers a clock
    set back or a load run outside the lock. A scalar subquery; null on an
    empty table (then every record is processed). -#}
{% macro incremental_loaded_since(loaded_at_column='loaded_at') -%}
    {%- set lookback_minutes = var('incremental_lookback_minutes', 10) | int -%}
    (
        select cast({{ dbt.dateadd('minute', -lookback_minutes, 'max(' ~ loaded_at_column ~ ')') }} as timestamp)
        from {{ this }}
    )
{%- endmacro %}


{#- The rows staging keeps of raw table `table_name`: on a full build the
    latest, non-deleted version of every key (base_crm__<table>); on an
    incremental run (`incremental`: the model's is_incremental(), passed in
    so that a unit test's override reaches it) the latest version of every
    key that received a raw row since incremental_loaded_since(), deleted
    ones included (the model turns them into markers with stg_loaded_at()).
    primary_key, version_column, soft_delete: as base_crm__<table> passes
    them to classify_versions. Columns: the raw columns and the
    classification flags of classify_versions. -#}
{% macro stg_crm_latest_rows(table_name, incremental, primary_key, version_column=none, soft_delete=none) -%}
    {#- both relations are dependencies whichever branch runs (dbt records them at parse) -#}
    {%- set raw_relation = source('crm', table_name) -%}
    {%- set base_relation = ref('base_crm__' ~ table_name) -%}
    {%- if incremental -%}
    select * from (
        {{ classify_versions(crm_touched_rows(raw_relation, primary_key), primary_key, version_column, soft_delete) }}
    ) as classified
    where is_latest_version
    {%- else -%}
    select * from {{ base_relation }}
    where is_latest_version and not is_deleted_version
    {%- endif -%}
{%- endmacro %}


{#- Every raw row (all versions) of the keys of raw table `table_name` that
    received a row loaded since incremental_loaded_since(), classified by
    classify_versions with the contract's key, version column and soft-delete
    flag (as base_crm__<table> classifies every row): a parenthesized
    subquery with an alias, for the from clause of an incremental model with
    a loaded_at column (int_raw_rows_unioned). -#}
{% macro crm_touched_rows_classified(table_name) -%}
    {%- set meta = crm_table_meta(table_name) -%}
    (
        {{ classify_versions(crm_touched_rows(source('crm', table_name), meta.primary_key), meta.primary_key,
                             meta.version_column, meta.soft_delete) }}
    ) as classified
{%- endmacro %}


{#- Every raw row (all versions) in `raw_relation` (a raw table) of the keys
    that received a row loaded since incremental_loaded_since(): a
    parenthesized subquery. -#}
{% macro crm_touched_rows(raw_relation, key) -%}
    (
        select *
        from {{ raw_relation }}
        where {{ key }} in (
            select recent.{{ key }}
            from {{ raw_relation }} as recent
            where
                {{ incremental_loaded_since() }} is null
                or recent._loaded_at >= {{ incremental_loaded_since() }}
        )
    ) as touched
{%- endmacro %}


{#- loaded_at of a staging row: the raw row's _loaded_at; null on an
    incremental run's (`incremental`: the model's is_incremental()) marker of a record whose latest version is a soft delete
    (it never reaches a downstream model: the post-hook deletes it). -#}
{% macro stg_loaded_at(incremental) -%}
    {%- if incremental -%}
    case when is_deleted_version then null else _loaded_at end
    {%- else -%}
    _loaded_at
    {%- endif -%}
{%- endmacro %}


{#- Post-hook of an incremental staging model: delete the markers of records
    whose latest version is a soft delete (loaded_at null, see
    stg_loaded_at). Empty on a full build. -#}
{% macro stg_delete_removed_records() -%}
    {%- if is_incremental() -%}
    delete from {{ this }} where loaded_at is null
    {%- endif -%}
{%- endmacro %}


{#- Materialization of the models that replace rows by key (staging,
    int_raw_rows_unioned, dq_raw_rows) per adapter: incremental where the
    adapter replaces rows by key without a table format (DuckDB and
    PostgreSQL: delete+insert); a table elsewhere (Spark without
    Delta/Iceberg can only append, and a new version must replace the old). -#}
{% macro keyed_incremental_materialization() -%}
    {{ return(adapter.dispatch('keyed_incremental_materialization', 'crm_warehouse')()) }}
{%- endmacro %}

{% macro default__keyed_incremental_materialization() -%}
    {{ return('table') }}
{%- endmacro %}

{% macro duckdb__keyed_incremental_materialization() -%}
    {{ return('incremental') }}
{%- endmacro %}

{% macro postgres__keyed_incremental_materialization() -%}
    {{ return('incremental') }}
{%- endmacro %}
