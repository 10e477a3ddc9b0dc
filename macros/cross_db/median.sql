{% macro median(expr) -%}
    {{ return(adapter.dispatch('median', 'crm_warehouse')(expr)) }}
{%- endmacro %}

{% macro default__median(expr) -%}
    percentile_cont(0.5) within group (order by {{ expr }})
{%- endmacro %}

{#- percentile_cont returns double precision on PostgreSQL, and round(double
    precision, n) does not exist there: return numeric, so that
    round(median(x), 2) works as on DuckDB and Spark. -#}
{% macro postgres__median(expr) -%}
    cast(percentile_cont(0.5) within group (order by {{ expr }}) as numeric)
{%- endmacro %}

{% macro duckdb__median(expr) -%}
    median({{ expr }})
{%- endmacro %}

{% macro spark__median(expr) -%}
    median({{ expr }})
{%- endmacro %}
