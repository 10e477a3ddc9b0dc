{#- One row per account with at least one revenue order (not cancelled or
    refunded) on or before the as-of date: the median interval between its
    consecutive order days, the predicted next order date and whether the
    customer is overdue at the as-of date (C6). -#}
with orders as (
    select * from {{ ref('fct_orders') }}
),

as_of as (
    select * from {{ ref('int_as_of_date') }}
),

order_days as (
    select
        orders.account_id,
        orders.order_date,
        count(*) as orders_that_day
    from orders
    cross join as_of
    where
        orders.is_revenue_order
        and orders.order_date <= as_of.as_of_date
    group by orders.account_id, orders.order_date
),

previous_days as (
    select
        account_id,
        order_date,
        orders_that_day,
        lag(order_date) over (partition by account_id order by order_date) as previous_order_date
    from order_days
),

intervals as (
    select
        account_id,
        order_date,
        orders_that_day,
        {{ finance__datediff_days('previous_order_date', 'order_date') }} as days_since_previous_order
    from previous_days
),

per_customer as (
    select
        account_id,
        sum(orders_that_day) as orders_placed,
        count(*) as days_with_orders,
        min(order_date) as first_order_date,
        max(order_date) as last_order_date,
        cast({{ median('days_since_previous_order') }} as decimal(18, 2)) as median_interval,
        {{ safe_divide('sum(days_since_previous_order)', 'count(days_since_previous_order)', 'decimal(18,2)') }}
            as mean_interval
    from intervals
    group by account_id
),

rounded as (
    select
        per_customer.*,
        cast(round(per_customer.median_interval, 0) as integer) as median_interval_whole_days,
        as_of.as_of_date
    from per_customer
    cross join as_of
),

predicted as (
    select
        *,
        cast(
            {{ dbt.dateadd('day', 'median_interval_whole_days', 'last_order_date') }} as date
        ) as predicted_next_order_date
    from rounded
),

final as (
    select
        account_id,
        cast(orders_placed as integer) as orders_placed,
        cast(days_with_orders as integer) as days_with_orders,
        first_order_date,
        last_order_date,
        median_interval as reorder_interval_days_median,
        mean_interval as reorder_interval_days_mean,
        predicted_next_order_date,
        cast({{ finance__datediff_days('last_order_date', 'as_of_date') }} as integer) as days_since_last_order,
        case
            when predicted_next_order_date < as_of_date
                then cast({{ finance__datediff_days('predicted_next_order_date', 'as_of_date') }} as integer)
            when predicted_next_order_date is not null then 0
        end as days_overdue,
        coalesce(predicted_next_order_date < as_of_date, false) as is_overdue
    from predicted
)

select * from final
