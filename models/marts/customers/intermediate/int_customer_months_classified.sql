{#- One row per account and month, from the month the account first became
    an active customer (int_customer_periods_merged) to the as-of month:
    whether it was active at the start of the month (on the last day of the
    previous month) and at the end (the month end, or the as-of date for the
    month in progress), and how that classifies it (C1, C2). -#}
with periods as (
    select * from {{ ref('int_customer_periods_merged') }}
),

orders as (
    select * from {{ ref('fct_orders') }}
),

opportunities as (
    select * from {{ ref('fct_opportunities') }}
),

months as (
    select * from {{ ref('int_months') }}
),

as_of as (
    select * from {{ ref('int_as_of_date') }}
),

purchases as (
    {#- C1: purchases are orders (not cancelled or refunded) and won deals. -#}
    select
        account_id,
        order_date as purchase_date
    from orders
    where is_revenue_order

    union all

    select
        account_id,
        closed_date as purchase_date
    from opportunities
    where is_won and account_id is not null and closed_date is not null
),

first_purchases as (
    select
        purchases.account_id,
        min(purchases.purchase_date) as first_purchase_date
    from purchases
    cross join as_of
    where purchases.purchase_date <= as_of.as_of_date
    group by purchases.account_id
),

customers as (
    select
        account_id,
        cast({{ dbt.date_trunc('month', 'min(period_start_date)') }} as date) as first_active_month_start_date
    from periods
    group by account_id
),

customer_months as (
    select
        customers.account_id,
        months.month_start_date,
        cast({{ dbt.dateadd('day', -1, 'months.month_start_date') }} as date) as start_check_date,
        months.balance_date as end_check_date
    from customers
    inner join months
        on customers.first_active_month_start_date <= months.month_start_date
),

activity as (
    select
        customer_months.account_id,
        customer_months.month_start_date,
        max(
            case
                when
                    periods.period_start_date <= customer_months.start_check_date
                    and periods.period_end_date >= customer_months.start_check_date
                    then 1
                else 0
            end
        ) as active_at_start,
        max(
            case
                when
                    periods.period_start_date <= customer_months.end_check_date
                    and periods.period_end_date >= customer_months.end_check_date
                    then 1
                else 0
            end
        ) as active_at_end
    from customer_months
    inner join periods
        on customer_months.account_id = periods.account_id
    group by customer_months.account_id, customer_months.month_start_date
),

final as (
    select
        activity.account_id,
        activity.month_start_date,
        activity.active_at_start = 1 as is_active_at_start,
        activity.active_at_end = 1 as is_active_at_end,
        coalesce(
            cast({{ dbt.date_trunc('month', 'first_purchases.first_purchase_date') }} as date)
            = activity.month_start_date,
            false
        ) as is_new_customer,
        activity.active_at_start = 1 and activity.active_at_end = 1 as is_retained,
        activity.active_at_start = 1 and activity.active_at_end = 0 as is_churned,
        activity.active_at_start = 0 and activity.active_at_end = 1 as is_gained
    from activity
    left join first_purchases
        on activity.account_id = first_purchases.account_id
)

select * from final
