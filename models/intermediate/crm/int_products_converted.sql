{#- Products with list price and unit cost converted to the reporting
    currency at the date of the product's latest version. -#}
with staged as (
    select * from {{ ref('stg_crm__products') }}
),

final as (
    select
        staged.product_id,
        staged.product_name,
        staged.product_family,
        staged.tier,
        staged.list_price_local,
        staged.unit_cost_local,
        staged.currency_code,
        exchange_rates.exchange_rate,
        cast(staged.updated_at as date) as conversion_date,
        {{ exchange_rate_coverage() }} as exchange_rate_coverage,
        {{ convert_currency('staged.list_price_local', 'exchange_rates.exchange_rate') }} as list_price,
        {{ convert_currency('staged.unit_cost_local', 'exchange_rates.exchange_rate') }} as unit_cost,
        staged.updated_at,
        staged.loaded_at
    from staged
    {{ join_exchange_rate('staged.currency_code', 'cast(staged.updated_at as date)') }}
)

select * from final
