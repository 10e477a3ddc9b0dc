{#- The whole numbers 1 to `count_expr`, one row each, in a column
    generated_number: a series as long as the data needs, computed when the
    query runs (dbt.generate_series(n) compiles a fixed n in: 1200 months cut a
    spine short, and a date typed 2999 made it 1200 months long). `count_expr`
    is an expression over the columns of `relation`, a one-row CTE or table;
    a count below 1 or null gives no rows. -#}
{% macro number_series(count_expr, relation) -%}
    {{ return(adapter.dispatch('number_series', 'crm_warehouse')(count_expr, relation)) }}
{%- endmacro %}

{#- PostgreSQL: generate_series as a set-returning function in the select list. -#}
{% macro default__number_series(count_expr, relation) -%}
    select generate_series(1, cast({{ count_expr }} as bigint)) as generated_number
    from {{ relation }}
    where {{ count_expr }} >= 1
{%- endmacro %}

{% macro duckdb__number_series(count_expr, relation) -%}
    select unnest(generate_series(1, cast({{ count_expr }} as bigint))) as generated_number
    from {{ relation }}
    where {{ count_expr }} >= 1
{%- endmacro %}

{#- Spark: sequence(1, 0) counts down, hence the where. -#}
{% macro spark__number_series(count_expr, relation) -%}
    select explode(sequence(1, cast({{ count_expr }} as int))) as generated_number
    from {{ relation }}
    where {{ count_expr }} >= 1
{%- endmacro %}
