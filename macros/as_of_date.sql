{#- The date that replaces current_date everywhere; see int_as_of_date. -#}
{% macro as_of_date() -%}
    (select as_of_date from {{ ref('int_as_of_date') }})
{%- endmacro %}
