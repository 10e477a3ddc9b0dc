{#- Incremental strategy of the append-only event facts (web sessions,
    email-list events, opportunity stage changes) per adapter: an upsert on
    the unique key where the adapter has one without a table format (DuckDB:
    delete+insert; PostgreSQL 15+: merge), plain append elsewhere (Spark
    without Delta/Iceberg), where the model then inserts only keys it does not
    hold yet. -#}
{% macro events_incremental_strategy() -%}
    {{ return(adapter.dispatch('events_incremental_strategy', 'crm_warehouse')()) }}
{%- endmacro %}

{% macro default__events_incremental_strategy() -%}
    {{ return('append') }}
{%- endmacro %}

{% macro duckdb__events_incremental_strategy() -%}
    {{ return('delete+insert') }}
{%- endmacro %}

{% macro postgres__events_incremental_strategy() -%}
    {{ return('merge') }}
{%- endmacro %}


{#- The earliest load time an incremental run reprocesses: the newest
    loaded_at the model holds minus a lookback window of `lookback_hours`
    (var events_lookback_hours, default 72) for rows that arrived late, e.g.
    a load that finished while the previous build ran. A scalar subquery;
    null on an empty table (then every row is processed). -#}
{% macro events_loaded_since(loaded_at_column='loaded_at') -%}
    {%- set lookback_hours = var('events_lookback_hours', 72) | int -%}
    (
        select cast({{ dbt.dateadd('hour', -lookback_hours, 'max(' ~ loaded_at_column ~ ')') }} as timestamp)
        from {{ this }}
    )
{%- endmacro %}


{#- The where clause of an incremental event model's new rows: loaded within
    the lookback window, and, under the append strategy, not already held
    (append cannot replace a row). Empty on a full build. -#}
{% macro events_incremental_filter(key_column, loaded_at_expr) -%}
    {%- if is_incremental() %}
    where
        (
            {{ events_loaded_since() }} is null
            or {{ loaded_at_expr }} >= {{ events_loaded_since() }}
        )
        {%- if events_incremental_strategy() == 'append' %}
        and {{ key_column }} not in (select held.{{ key_column }} from {{ this }} as held)
        {%- endif %}
    {%- endif %}
{%- endmacro %}
