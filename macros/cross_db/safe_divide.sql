{#- Ratios are null, never 0 and never an error, when the denominator is 0. -#}
{% macro safe_divide(numerator, denominator, data_type='decimal(18,6)') -%}
    cast(
        cast({{ numerator }} as {{ data_type }}) / nullif({{ denominator }}, 0)
        as {{ data_type }}
    )
{%- endmacro %}
