{#- Order lines converted to the reporting currency. Lines carry no currency:
    prices are in the order's currency, converted at the order's rate (its
    order date). -#}
with staged as (
    select * from {{ ref('stg_crm__order_lines') }}
),

orders as (
    select
        order_id,
        currency_code,
        exchange_rate
    from {{ ref('int_orders_converted') }}
),

converted as (
    select
        staged.order_line_id,
        staged.order_id,
        staged.product_id,
        staged.quantity,
        staged.unit_price_local,
        staged.line_amount_local,
        orders.currency_code,
        orders.exchange_rate,
        {{ convert_currency('staged.unit_price_local', 'orders.exchange_rate') }} as unit_price,
        staged.updated_at,
        staged.loaded_at
    from staged
    left join orders
        on staged.order_id = orders.order_id
),

final as (
    select
        *,
        cast(quantity * unit_price as decimal(18, 2)) as line_amount
    from converted
)

select * from final
