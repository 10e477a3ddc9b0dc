{% macro to_utc_timestamp(expr) -%}
    {{ return(adapter.dispatch('to_utc_timestamp', 'crm_warehouse')(expr)) }}
{%- endmacro %}

{% macro default__to_utc_timestamp(expr) -%}
    cast({{ expr }} as timestamp)
{%- endmacro %}

{% macro duckdb__to_utc_timestamp(expr) -%}
    timezone('UTC', {{ expr }})
{%- endmacro %}

{% macro postgres__to_utc_timestamp(expr) -%}
    ({{ expr }} at time zone 'UTC')
{%- endmacro %}
