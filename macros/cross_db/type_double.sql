{#- An 8-byte floating-point type. dbt.type_float() renders 'float', which is
    4 bytes on DuckDB and Spark: use this macro for doubles. -#}
{% macro type_double() -%}
    {{ return(adapter.dispatch('type_double', 'crm_warehouse')()) }}
{%- endmacro %}

{% macro default__type_double() -%}
    double
{%- endmacro %}

{% macro postgres__type_double() -%}
    double precision
{%- endmacro %}
