{#- C4, C7: each account's orders up to the as-of date: revenue orders and
    the cancelled or refunded ones, the first revenue order and the tenure
    since, revenue and product cost. One row per account with an order. -#}
with orders as (
    select * from {{ ref('fct_orders') }}
),

as_of as (
    select * from {{ ref('int_as_of_date') }}
),

order_totals as (
    select
        orders.account_id,
        sum(case when orders.is_revenue_order then 1 else 0 end) as orders_placed,
        sum(case when orders.is_revenue_order then 0 else 1 end) as orders_cancelled_or_refunded,
        min(case when orders.is_revenue_order then orders.order_date end) as first_order_date,
        sum(case when orders.is_revenue_order and orders.order_amount is null then 1 else 0 end)
            as revenue_orders_without_amount,
        sum(case when orders.is_revenue_order then orders.order_amount end) as revenue_amount,
        sum(case when orders.is_revenue_order then orders.product_cost else 0 end) as product_cost_amount
    from orders
    cross join as_of
    where orders.order_date <= as_of.as_of_date
    group by orders.account_id
),

final as (
    select
        order_totals.account_id,
        cast(order_totals.orders_placed as integer) as orders_placed,
        cast(order_totals.orders_cancelled_or_refunded as integer) as orders_cancelled_or_refunded,
        order_totals.first_order_date,
        cast({{ finance__datediff_days('order_totals.first_order_date', 'as_of.as_of_date') }} + 1 as integer)
            as customer_tenure_days,
        cast(order_totals.revenue_orders_without_amount as integer) as revenue_orders_without_amount,
        cast(order_totals.revenue_amount as decimal(18, 2)) as revenue_amount,
        cast(order_totals.product_cost_amount as decimal(18, 2)) as product_cost_amount
    from order_totals
    cross join as_of
)

select * from final
