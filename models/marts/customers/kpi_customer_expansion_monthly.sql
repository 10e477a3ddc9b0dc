{#- One row per month of the spine: among existing customers ordering in the
    month (accounts with a revenue order before the month), the share that
    bought a product family they never bought before (cross-sell) and the
    share that bought a higher tier of a family they bought before (upsell)
    (C5). Cancelled and refunded orders do not count. -#}
with months as (
    select * from {{ ref('int_months') }}
),

as_of as (
    select * from {{ ref('int_as_of_date') }}
),

orders as (
    select * from {{ ref('fct_orders') }}
),

order_lines as (
    select * from {{ ref('fct_order_lines') }}
),

revenue_orders as (
    select orders.*
    from orders
    cross join as_of
    where
        orders.is_revenue_order
        and orders.order_date <= as_of.as_of_date
),

first_orders as (
    select
        account_id,
        min(order_month_start_date) as first_order_month_start_date
    from revenue_orders
    group by account_id
),

ordering_customers as (
    select distinct
        revenue_orders.account_id,
        revenue_orders.order_month_start_date as month_start_date,
        first_orders.first_order_month_start_date < revenue_orders.order_month_start_date as is_existing_customer
    from revenue_orders
    inner join first_orders
        on revenue_orders.account_id = first_orders.account_id
),

family_months as (
    select
        order_lines.account_id,
        order_lines.product_family,
        cast({{ dbt.date_trunc('month', 'order_lines.order_date') }} as date) as month_start_date,
        max(order_lines.product_tier) as max_tier
    from order_lines
    cross join as_of
    where
        order_lines.is_revenue_order
        and order_lines.order_date <= as_of.as_of_date
        and order_lines.product_family is not null
    group by
        order_lines.account_id,
        order_lines.product_family,
        cast({{ dbt.date_trunc('month', 'order_lines.order_date') }} as date)
),

family_history as (
    select
        account_id,
        product_family,
        month_start_date,
        max_tier,
        max(max_tier) over (
            partition by account_id, product_family
            order by month_start_date
            rows between unbounded preceding and 1 preceding
        ) as previous_max_tier,
        count(*) over (
            partition by account_id, product_family
            order by month_start_date
            rows between unbounded preceding and 1 preceding
        ) as previous_months_bought
    from family_months
),

customer_expansion as (
    select
        account_id,
        month_start_date,
        max(case when previous_months_bought = 0 then 1 else 0 end) as bought_new_family,
        max(case when previous_months_bought > 0 and max_tier > previous_max_tier then 1 else 0 end)
            as bought_higher_tier
    from family_history
    group by account_id, month_start_date
),

monthly as (
    select
        ordering_customers.month_start_date,
        count(*) as existing_customers_ordering,
        sum(coalesce(customer_expansion.bought_new_family, 0)) as cross_sell_customers,
        sum(coalesce(customer_expansion.bought_higher_tier, 0)) as upsell_customers
    from ordering_customers
    left join customer_expansion
        on
            ordering_customers.account_id = customer_expansion.account_id
            and ordering_customers.month_start_date = customer_expansion.month_start_date
    where ordering_customers.is_existing_customer
    group by ordering_customers.month_start_date
),

combined as (
    select
        months.month_start_date,
        months.month_end_date,
        cast({{ coalesce_if_present('orders', 'monthly.existing_customers_ordering') }} as integer)
            as existing_customers_ordering,
        cast({{ coalesce_if_present('orders', 'monthly.cross_sell_customers') }} as integer) as cross_sell_customers,
        cast({{ coalesce_if_present('orders', 'monthly.upsell_customers') }} as integer) as upsell_customers
    from months
    left join monthly
        on months.month_start_date = monthly.month_start_date
),

final as (
    select
        *,
        {{ safe_divide('cross_sell_customers', 'existing_customers_ordering') }} as cross_sell_share,
        {{ safe_divide('upsell_customers', 'existing_customers_ordering') }} as upsell_share
    from combined
)

select * from final
