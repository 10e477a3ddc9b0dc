{#- One row per month of the spine: new customers (C1) and retention (C2):
    active customers at the start and end of the month, retained, churned,
    gained back, retention and churn rates. -#}
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
        cast(coalesce(monthly.new_customers, 0) as integer) as new_customers,
        cast(coalesce(monthly.active_customers_at_start, 0) as integer) as active_customers_at_start,
        cast(coalesce(monthly.active_customers_at_end, 0) as integer) as active_customers_at_end,
        cast(coalesce(monthly.retained_customers, 0) as integer) as retained_customers,
        cast(coalesce(monthly.churned_customers, 0) as integer) as churned_customers,
        cast(coalesce(monthly.new_active_customers, 0) as integer) as new_active_customers,
        cast(coalesce(monthly.returning_customers, 0) as integer) as returning_customers
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
