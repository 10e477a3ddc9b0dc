{% macro join_exchange_rate(currency_expr, date_expr, alias='exchange_rates') -%}
    left join {{ ref('stg_reference__exchange_rates') }} as {{ alias }}
        on {{ currency_expr }} = {{ alias }}.currency_code
        and {{ date_expr }} >= {{ alias }}.valid_from_date
        and {{ date_expr }} < {{ alias }}.valid_to_date
{%- endmacro %}

{% macro convert_currency(amount_expr, rate_expr) -%}
    cast(round({{ amount_expr }} * {{ rate_expr }}, 2) as decimal(18, 2))
{%- endmacro %}
