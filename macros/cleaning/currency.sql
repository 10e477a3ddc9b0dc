{% macro join_exchange_rate(currency_expr, date_expr, alias='exchange_rates') -%}
    left join {{ ref('stg_reference__exchange_rates') }} as {{ alias }}
        on
            {{ currency_expr }} = {{ alias }}.currency_code
            and {{ date_expr }} >= {{ alias }}.valid_from_date
            and {{ date_expr }} < {{ alias }}.valid_to_date
{%- endmacro %}

{#- The rate is widened to decimal(38,10) first: DuckDB keeps the product of two
    decimals of width <= 18 at width 18, which overflows for large amounts. -#}
{% macro convert_currency(amount_expr, rate_expr) -%}
    cast(round({{ amount_expr }} * cast({{ rate_expr }} as decimal(38, 10)), 2) as decimal(18, 2))
{%- endmacro %}
