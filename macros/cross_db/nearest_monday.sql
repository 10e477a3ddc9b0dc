{#- The Monday nearest a date (at most 3 days before or after it): the Monday
    of the ISO week of the date plus 3 days. Weeks start on Monday in
    date_trunc('week') on DuckDB, PostgreSQL and Spark. -#}
{% macro nearest_monday(date_expr) -%}
    cast({{ dbt.date_trunc('week', dbt.dateadd('day', 3, date_expr)) }} as date)
{%- endmacro %}
