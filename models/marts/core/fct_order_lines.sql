{#- One row per order line of an existing order, with the product's family, tier and cost. -#}
with order_lines as (
    select * from {{ ref('int_order_lines_converted') }}
),

orders as (
    select * from {{ ref('int_orders_converted') }}
),

products as (
    select * from {{ ref('dim_products') }}
),

final as (
    select
        order_lines.order_line_id,
        order_lines.order_id,
        orders.account_id,
        order_lines.product_id,
        products.product_family,
        products.tier as product_tier,
        orders.status as order_status,
        orders.status not in ('cancelled', 'refunded') as is_revenue_order,
        orders.ordered_at,
        cast(orders.ordered_at as date) as order_date,
        order_lines.quantity,
        order_lines.unit_price_local,
        order_lines.line_amount_local,
        order_lines.currency_code,
        order_lines.exchange_rate,
        order_lines.unit_price,
        order_lines.line_amount,
        products.unit_cost,
        cast(order_lines.quantity * products.unit_cost as decimal(18, 2)) as line_cost,
        cast(order_lines.line_amount - order_lines.quantity * products.unit_cost as decimal(18, 2)) as line_margin
    from order_lines
    inner join orders
        on order_lines.order_id = orders.order_id
    left join products
        on order_lines.product_id = products.product_id
)

select * from final
