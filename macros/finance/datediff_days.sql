{#- Whole days from start_date to end_date: dbt.datediff(start, end, 'day')
    with the adapter macro's surrounding whitespace trimmed, so that a call
    inside an expression stays on one readable (and lintable) line. -#}
{% macro finance__datediff_days(start_date, end_date) -%}
    {{ dbt.datediff(start_date, end_date, 'day') | trim }}
{%- endmacro %}
