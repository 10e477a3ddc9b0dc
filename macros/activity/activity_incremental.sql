{#- Incremental strategy of fct_activities per adapter: an upsert on the
    unique key where the adapter supports it without a table format
    (DuckDB: delete+insert; PostgreSQL 15+: merge), plain append elsewhere
    (Spark without Delta/Iceberg), where the model then inserts only keys it
    does not hold yet (append-safe: no duplicates; later versions of a held
    key wait for a --full-refresh). -#}
{% macro activity_incremental_strategy() -%}
    {{ return(adapter.dispatch('activity_incremental_strategy', 'crm_warehouse')()) }}
{%- endmacro %}

{% macro default__activity_incremental_strategy() -%}
    {{ return('append') }}
{%- endmacro %}

{% macro duckdb__activity_incremental_strategy() -%}
    {{ return('delete+insert') }}
{%- endmacro %}

{% macro postgres__activity_incremental_strategy() -%}
    {{ return('merge') }}
{%- endmacro %}


{#- Post-hook of an upserting incremental model: delete the rows whose key is
    no longer in the upstream relation (records soft-deleted in the CRM, which
    staging drops). Empty where the strategy is append (no delete there). -#}
{% macro activity_delete_vanished_keys(key_column, upstream_relation) -%}
    {%- if is_incremental() and activity_incremental_strategy() != 'append' -%}
        delete from {{ this }}
        where {{ key_column }} not in (
            select upstream.{{ key_column }}
            from {{ upstream_relation }} as upstream
            where upstream.{{ key_column }} is not null
        )
    {%- endif -%}
{%- endmacro %}
