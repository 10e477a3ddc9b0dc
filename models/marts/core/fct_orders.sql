{#- One row per order: amounts from its lines, product cost and margin, and the
    order's place in the account's sequence of revenue orders. -#}
with orders as (
    select * from {{ ref('int_orders_converted') }}
),

order_lines as (
    select * from {{ ref('fct_order_lines') }}
),

line_totals as (
    select
        order_id,
        count(*) as line_count,
        sum(line_amount_local) as order_amount_local,
        sum(line_amount) as order_amount,
        sum(line_cost) as product_cost,
        sum(case when line_cost is null then 1 else 0 end) as lines_without_cost
    from order_lines
    group by order_id
),

flagged as (
    select
        orders.order_id,
        orders.account_id,
        orders.opportunity_id,
        orders.quote_id,
        orders.status,
        orders.status not in ('cancelled', 'refunded') as is_revenue_order,
        orders.currency_code,
        orders.exchange_rate,
        orders.ordered_at,
        cast(orders.ordered_at as date) as order_date,
        cast({{ dbt.date_trunc('month', 'orders.ordered_at') }} as date) as order_month_start_date,
        orders.promised_date,
        orders.delivered_date,
        cast(coalesce(line_totals.line_count, 0) as integer) as line_count,
        cast(coalesce(line_totals.order_amount_local, 0) as decimal(18, 2)) as order_amount_local,
        -- doc block unknown_amounts: 0 without lines, null when no line's amount is known
        {{ amount_total('line_totals.order_amount', 'line_totals.line_count') }} as order_amount,
        cast(coalesce(line_totals.product_cost, 0) as decimal(18, 2)) as product_cost,
        coalesce(line_totals.lines_without_cost, 0) = 0 as is_cost_complete
    from orders
    left join line_totals
        on orders.order_id = line_totals.order_id
),

revenue_sequence as (
    select
        order_id,
        row_number() over (
            partition by account_id order by ordered_at, order_id
        ) as revenue_order_number,
        lag(order_date) over (
            partition by account_id order by ordered_at, order_id
        ) as previous_revenue_order_date
    from flagged
    where is_revenue_order
),

final as (
    select
        flagged.order_id,
        flagged.account_id,
        flagged.opportunity_id,
        flagged.quote_id,
        flagged.status,
        flagged.is_revenue_order,
        flagged.currency_code,
        flagged.exchange_rate,
        flagged.ordered_at,
        flagged.order_date,
        flagged.order_month_start_date,
        flagged.promised_date,
        flagged.delivered_date,
        flagged.line_count,
        flagged.order_amount_local,
        flagged.order_amount,
        flagged.product_cost,
        cast(flagged.order_amount - flagged.product_cost as decimal(18, 2)) as gross_margin,
        flagged.is_cost_complete,
        cast(revenue_sequence.revenue_order_number as integer) as revenue_order_number,
        coalesce(revenue_sequence.revenue_order_number = 1, false) as is_first_revenue_order,
        revenue_sequence.previous_revenue_order_date,
        cast(
            {{ finance__datediff_days('revenue_sequence.previous_revenue_order_date', 'flagged.order_date') }}
            as integer
        ) as days_since_previous_revenue_order
    from flagged
    left join revenue_sequence
        on flagged.order_id = revenue_sequence.order_id
)

select * from final
