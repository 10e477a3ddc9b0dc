{#- One row per month of the spine: new customers (C1) and retention (C2):
    active customers at the start and end of the month, retained, churned,
    gained back, retention and churn rates. Customers come from contracts,
    won opportunities or orders: null where the export has none of them. -#}
{%- set customer_entities = ['contracts', 'opportunities', 'orders'] %}

with months as (
    select * from {{ ref('int_months') }}
),

customer_months as (
    select * from {{ ref('int_customer_months_classified') }}
),

monthly as (
    select
        month_start_date,
        sum(case when is_new_customer then 1 else 0 end) as new_customers,
        sum(case when is_active_at_start then 1 else 0 end) as active_customers_at_start,
        sum(case when is_active_at_end then 1 else 0 end) as active_customers_at_end,
        sum(case when is_retained then 1 else 0 end) as retained_customers,
        sum(case when is_churned then 1 else 0 end) as churned_customers,
        sum(case when is_gained and not is_new_customer then 1 else 0 end) as returning_customers,
        sum(case when is_gained and is_new_customer then 1 else 0 end) as new_active_customers
    from customer_months
    group by month_start_date
),

combined as (
    select
        months.month_start_date,
        months.month_end_date,
        months.is_as_of_month,
        cast({{ coalesce_if_present(customer_entities, 'monthly.new_customers', 'any') }} as integer) as new_customers,
        cast(
            {{ coalesce_if_present(customer_entities, 'monthly.active_customers_at_start', 'any') }} as integer
        ) as active_customers_at_start,
        cast(
            {{ coalesce_if_present(customer_entities, 'monthly.active_customers_at_end', 'any') }} as integer
        ) as active_customers_at_end,
        cast(
            {{ coalesce_if_present(customer_entities, 'monthly.retained_customers', 'any') }} as integer
        ) as retained_customers,
        cast(
            {{ coalesce_if_present(customer_entities, 'monthly.churned_customers', 'any') }} as integer
        ) as churned_customers,
        cast(
            {{ coalesce_if_present(customer_entities, 'monthly.new_active_customers', 'any') }} as integer
        ) as new_active_customers,
        cast(
            {{ coalesce_if_present(customer_entities, 'monthly.returning_customers', 'any') }} as integer
        ) as returning_customers
    from months
    left join monthly
        on months.month_start_date = monthly.month_start_date
),

final as (
    select
        *,
        {{ safe_divide('retained_customers', 'active_customers_at_start') }} as retention_rate,
        {{ safe_divide('churned_customers', 'active_customers_at_start') }} as churn_rate
    from combined
)

select * from final
