{#- V11 on-time delivery beside sales growth, one row per month of the spine:
    orders delivered in the month (by delivered_date) and how many by their
    promised date, next to the month's won revenue and its growth on the
    previous month (as S2 / S15, from the same opportunities). Zeros and null
    ratios when there are no orders or deals. Events up to the as-of date. -#}
with orders as (
    select * from {{ ref('int_orders_converted') }}
),

opportunities as (
    select * from {{ ref('int_opportunities_converted') }}
),

months as (
    select * from {{ ref('int_months') }}
),

as_of as (
    select * from {{ ref('int_as_of_date') }}
),

deliveries as (
    select
        cast({{ dbt.date_trunc('month', 'orders.delivered_date') }} as date) as month_start_date,
        count(*) as orders_delivered,
        sum(case when orders.promised_date is not null then 1 else 0 end) as orders_delivered_with_promised_date,
        sum(case when orders.delivered_date <= orders.promised_date then 1 else 0 end) as orders_delivered_on_time
    from orders
    cross join as_of
    where
        orders.delivered_date is not null
        and orders.delivered_date <= as_of.as_of_date
    group by 1
),

won_deals as (
    select
        cast({{ dbt.date_trunc('month', 'opportunities.closed_at') }} as date) as month_start_date,
        count(*) as opportunities_won,
        sum(opportunities.amount) as won_revenue
    from opportunities
    cross join as_of
    where
        opportunities.is_won
        and cast(opportunities.closed_at as date) <= as_of.as_of_date
    group by 1
),

joined as (
    select
        months.month_start_date,
        {{ coalesce_if_present('orders', 'deliveries.orders_delivered') }} as orders_delivered,
        {{ coalesce_if_present('orders', 'deliveries.orders_delivered_with_promised_date') }}
            as orders_delivered_with_promised_date,
        {{ coalesce_if_present('orders', 'deliveries.orders_delivered_on_time') }} as orders_delivered_on_time,
        {{ coalesce_if_present('opportunities', 'won_deals.opportunities_won') }} as opportunities_won,
        cast({{ coalesce_if_present('opportunities', 'won_deals.won_revenue') }} as decimal(18, 2)) as won_revenue
    from months
    left join deliveries
        on months.month_start_date = deliveries.month_start_date
    left join won_deals
        on months.month_start_date = won_deals.month_start_date
),

with_previous as (
    select
        *,
        lag(won_revenue) over (order by month_start_date) as won_revenue_previous_month
    from joined
),

final as (
    select
        month_start_date,
        ---------- V11 on-time delivery
        cast(orders_delivered as integer) as orders_delivered,
        cast(orders_delivered_with_promised_date as integer) as orders_delivered_with_promised_date,
        cast(orders_delivered_on_time as integer) as orders_delivered_on_time,
        cast(orders_delivered_with_promised_date - orders_delivered_on_time as integer) as orders_delivered_late,
        {{ safe_divide('orders_delivered_on_time', 'orders_delivered_with_promised_date') }}
            as on_time_delivery_rate,
        ---------- sales growth beside it (S2, S15)
        cast(opportunities_won as integer) as opportunities_won,
        won_revenue,
        cast(won_revenue_previous_month as decimal(18, 2)) as won_revenue_previous_month,
        {{ safe_divide('won_revenue - won_revenue_previous_month', 'won_revenue_previous_month') }}
            as sales_growth_rate
    from with_previous
)

select * from final
