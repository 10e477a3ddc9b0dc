{% macro regexp_replace_all(expr, pattern, replacement) -%}
    {{ return(adapter.dispatch('regexp_replace_all', 'crm_warehouse')(expr, pattern, replacement)) }}
{%- endmacro %}

{% macro default__regexp_replace_all(expr, pattern, replacement) -%}
    regexp_replace({{ expr }}, {{ pattern }}, {{ replacement }})
{%- endmacro %}

{% macro duckdb__regexp_replace_all(expr, pattern, replacement) -%}
    regexp_replace({{ expr }}, {{ pattern }}, {{ replacement }}, 'g')
{%- endmacro %}

{% macro postgres__regexp_replace_all(expr, pattern, replacement) -%}
    regexp_replace({{ expr }}, {{ pattern }}, {{ replacement }}, 'g')
{%- endmacro %}


{% macro regexp_like(expr, pattern) -%}
    {{ return(adapter.dispatch('regexp_like', 'crm_warehouse')(expr, pattern)) }}
{%- endmacro %}

{% macro default__regexp_like(expr, pattern) -%}
    ({{ expr }} rlike {{ pattern }})
{%- endmacro %}

{% macro duckdb__regexp_like(expr, pattern) -%}
    regexp_matches({{ expr }}, {{ pattern }})
{%- endmacro %}

{% macro postgres__regexp_like(expr, pattern) -%}
    ({{ expr }} ~ {{ pattern }})
{%- endmacro %}


{#- Spark reads a backslash in a string literal as an escape ('\s' is 's',
    '\.' is '.'), so a pattern written for DuckDB/PostgreSQL would lose its
    escapes there: double them. (Unless spark.sql.parser.escapedStringLiterals
    is on, which this project does not assume.) -#}
{% macro spark_pattern_literal(pattern) -%}
    {{ pattern | replace('\\', '\\\\') }}
{%- endmacro %}

{% macro spark__regexp_replace_all(expr, pattern, replacement) -%}
    regexp_replace({{ expr }}, {{ spark_pattern_literal(pattern) }}, {{ spark_pattern_literal(replacement) }})
{%- endmacro %}

{% macro spark__regexp_like(expr, pattern) -%}
    ({{ expr }} rlike {{ spark_pattern_literal(pattern) }})
{%- endmacro %}

{#- Trino (not tested here): regexp_like is a function; regexp_replace
    replaces every match. -#}
{% macro trino__regexp_like(expr, pattern) -%}
    regexp_like({{ expr }}, {{ pattern }})
{%- endmacro %}
