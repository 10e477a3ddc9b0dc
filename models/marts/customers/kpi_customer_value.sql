{#- One row per customer account: every account with an order (any status),
    a won deal or a contract in force on or before the as-of date. Lifetime
    value, historical and predictive (C4), and profitability after product
    and service cost (C7), to the as-of date, in the reporting currency. -#}
with customer_accounts as (
    select * from {{ ref('int_customers_customer_accounts') }}
),

order_totals as (
    select * from {{ ref('int_customers_orders_by_account') }}
),

service_interactions as (
    select * from {{ ref('int_customers_service_by_account') }}
),

annual_churn as (
    select * from {{ ref('int_customers_churn_annual') }}
),

accounts as (
    select * from {{ ref('dim_accounts') }}
),

combined as (
    select
        customer_accounts.account_id,
        accounts.owner_rep_id,
        cast({{ coalesce_if_present('orders', 'order_totals.orders_placed') }} as integer) as orders_placed,
        cast({{ coalesce_if_present('orders', 'order_totals.orders_cancelled_or_refunded') }} as integer)
            as orders_cancelled_or_refunded,
        order_totals.first_order_date,
        order_totals.customer_tenure_days,
        -- doc block unknown_amounts: 0 without revenue orders, null when none has a known amount
        {{ amount_total(
            'order_totals.revenue_amount', 'order_totals.orders_placed', entities='orders'
        ) }} as revenue_amount,
        cast(
            {{ coalesce_if_present('orders', 'order_totals.revenue_orders_without_amount') }}
            as integer
        ) as revenue_orders_without_amount,
        cast(
            {{ coalesce_if_present('orders', 'order_totals.product_cost_amount') }}
            as decimal(18, 2)
        ) as product_cost_amount,
        cast(
            {{ coalesce_if_present('activities', 'service_interactions.service_interactions') }}
            as integer
        ) as service_interactions,
        {{ safe_divide('coalesce(service_interactions.handle_seconds, 0)', '3600', 'decimal(18,4)') }}
            as service_handle_hours,
        {{ safe_divide(
            'coalesce(service_interactions.handle_seconds, 0) * ' ~ var('service_hourly_cost'), '3600', 'decimal(18,2)'
        ) }} as service_cost_amount,
        annual_churn.annual_churn_rate
    from customer_accounts
    cross join annual_churn
    left join accounts
        on customer_accounts.account_id = accounts.account_id
    left join order_totals
        on customer_accounts.account_id = order_totals.account_id
    left join service_interactions
        on customer_accounts.account_id = service_interactions.account_id
),

with_margin as (
    select
        *,
        cast(revenue_amount - product_cost_amount as decimal(18, 2)) as gross_margin_amount,
        case when customer_tenure_days > 365 then customer_tenure_days else 365 end as tenure_basis_days
    from combined
),

final as (
    select
        account_id,
        owner_rep_id,
        orders_placed,
        orders_cancelled_or_refunded,
        first_order_date,
        customer_tenure_days,
        revenue_amount,
        revenue_orders_without_amount,
        product_cost_amount,
        gross_margin_amount,
        gross_margin_amount as historical_lifetime_value,
        {{ safe_divide('gross_margin_amount', 'revenue_amount') }} as gross_margin_rate,
        {{ safe_divide('revenue_amount', 'orders_placed - revenue_orders_without_amount', 'decimal(18,2)') }}
            as order_value_mean,
        {{ safe_divide('orders_placed * 365', 'tenure_basis_days') }} as orders_per_year,
        annual_churn_rate,
        cast(
            case
                when orders_placed > 0 and revenue_amount != 0 and annual_churn_rate > 0
                    then cast(gross_margin_amount as decimal(18, 6)) * 365 / tenure_basis_days / annual_churn_rate
            end as decimal(18, 2)
        ) as predicted_lifetime_value,
        service_interactions,
        service_handle_hours,
        service_cost_amount,
        cast(revenue_amount - product_cost_amount - service_cost_amount as decimal(18, 2)) as profit_amount,
        {{ safe_divide('revenue_amount - product_cost_amount - service_cost_amount', 'revenue_amount') }}
            as profit_margin_rate
    from with_margin
)

select * from final
