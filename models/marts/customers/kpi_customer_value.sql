{#- One row per customer account: every account with an order (any status),
    a won deal or a contract in force on or before the as-of date. Lifetime
    value, historical and predictive (C4), and profitability after product
    and service cost (C7), to the as-of date, in the reporting currency. -#}
with orders as (
    select * from {{ ref('fct_orders') }}
),

opportunities as (
    select * from {{ ref('fct_opportunities') }}
),

contracts as (
    select * from {{ ref('fct_contracts') }}
),

periods as (
    select * from {{ ref('int_customer_periods_merged') }}
),

activities as (
    select * from {{ ref('stg_crm__activities') }}
),

accounts as (
    select * from {{ ref('dim_accounts') }}
),

as_of as (
    select * from {{ ref('int_as_of_date') }}
),

customer_accounts as (
    select orders.account_id
    from orders
    cross join as_of
    where orders.order_date <= as_of.as_of_date

    union

    select opportunities.account_id
    from opportunities
    cross join as_of
    where
        opportunities.is_won
        and opportunities.account_id is not null
        and opportunities.closed_date <= as_of.as_of_date

    union

    select contracts.account_id
    from contracts
    cross join as_of
    where
        contracts.in_force_end_date is not null
        and contracts.start_date <= as_of.as_of_date
),

order_totals as (
    select
        orders.account_id,
        sum(case when orders.is_revenue_order then 1 else 0 end) as order_count,
        sum(case when orders.is_revenue_order then 0 else 1 end) as cancelled_or_refunded_order_count,
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

service_interactions as (
    select
        activities.account_id,
        count(*) as service_interaction_count,
        sum(
            coalesce(activities.talk_seconds, 0)
            + coalesce(activities.hold_seconds, 0)
            + coalesce(activities.wrap_seconds, 0)
        ) as handle_seconds
    from activities
    cross join as_of
    where
        activities.purpose = 'service'
        and activities.account_id is not null
        and activities.completed_at is not null
        and coalesce(activities.outcome, '') != 'cancelled'
        and cast(activities.completed_at as date) <= as_of.as_of_date
    group by activities.account_id
),

churn_window_bounds as (
    select
        as_of_date as window_end_date,
        cast({{ dbt.dateadd('month', -12, 'as_of_date') }} as date) as window_start_date
    from as_of
),

account_status as (
    select
        periods.account_id,
        max(
            case
                when
                    periods.period_start_date <= churn_window_bounds.window_start_date
                    and periods.period_end_date >= churn_window_bounds.window_start_date
                    then 1
                else 0
            end
        ) as active_at_window_start,
        max(
            case
                when
                    periods.period_start_date <= churn_window_bounds.window_end_date
                    and periods.period_end_date >= churn_window_bounds.window_end_date
                    then 1
                else 0
            end
        ) as active_at_window_end
    from periods
    cross join churn_window_bounds
    group by periods.account_id
),

churn_window as (
    {#- Annual churn rate: customers active 12 months before the as-of date
        that are no longer active on the as-of date / customers active then. -#}
    select
        count(*) as active_at_window_start,
        sum(case when active_at_window_end = 0 then 1 else 0 end) as churned_in_window
    from account_status
    where active_at_window_start = 1
),

annual_churn as (
    select {{ safe_divide('churned_in_window', 'active_at_window_start') }} as annual_churn_rate
    from churn_window
),

combined as (
    select
        customer_accounts.account_id,
        accounts.owner_rep_id,
        cast({{ coalesce_if_present('orders', 'order_totals.order_count') }} as integer) as order_count,
        cast({{ coalesce_if_present('orders', 'order_totals.cancelled_or_refunded_order_count') }} as integer)
            as cancelled_or_refunded_order_count,
        order_totals.first_order_date,
        cast({{ finance__datediff_days('order_totals.first_order_date', 'as_of.as_of_date') }} + 1 as integer)
            as customer_tenure_days,
        -- doc block unknown_amounts: 0 without revenue orders, null when none has a known amount
        {{ amount_total(
            'order_totals.revenue_amount', 'order_totals.order_count', entities='orders'
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
            {{ coalesce_if_present('activities', 'service_interactions.service_interaction_count') }}
            as integer
        ) as service_interaction_count,
        {{ safe_divide('coalesce(service_interactions.handle_seconds, 0)', '3600', 'decimal(18,4)') }}
            as service_handle_hours,
        {{ safe_divide(
            'coalesce(service_interactions.handle_seconds, 0) * ' ~ var('service_hourly_cost'), '3600', 'decimal(18,2)'
        ) }} as service_cost_amount,
        annual_churn.annual_churn_rate
    from customer_accounts
    cross join as_of
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
        order_count,
        cancelled_or_refunded_order_count,
        first_order_date,
        customer_tenure_days,
        revenue_amount,
        revenue_orders_without_amount,
        product_cost_amount,
        gross_margin_amount,
        gross_margin_amount as historical_lifetime_value,
        {{ safe_divide('gross_margin_amount', 'revenue_amount') }} as gross_margin_rate,
        {{ safe_divide('revenue_amount', 'order_count - revenue_orders_without_amount', 'decimal(18,2)') }}
            as mean_order_value,
        {{ safe_divide('order_count * 365', 'tenure_basis_days') }} as orders_per_year,
        annual_churn_rate,
        cast(
            case
                when order_count > 0 and revenue_amount != 0 and annual_churn_rate > 0
                    then cast(gross_margin_amount as decimal(18, 6)) * 365 / tenure_basis_days / annual_churn_rate
            end as decimal(18, 2)
        ) as predicted_lifetime_value,
        service_interaction_count,
        service_handle_hours,
        service_cost_amount,
        cast(revenue_amount - product_cost_amount - service_cost_amount as decimal(18, 2)) as profit_amount,
        {{ safe_divide('revenue_amount - product_cost_amount - service_cost_amount', 'revenue_amount') }}
            as profit_margin_rate
    from with_margin
)

select * from final
