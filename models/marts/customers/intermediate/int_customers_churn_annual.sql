{#- C4: the annual churn rate at the as-of date, one row: of the customers
    active 12 months before the as-of date (int_customer_periods_merged), the
    share no longer active on the as-of date; null without such customers. -#}
with periods as (
    select * from {{ ref('int_customer_periods_merged') }}
),

as_of as (
    select * from {{ ref('int_as_of_date') }}
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
    select
        count(*) as active_at_window_start,
        sum(case when active_at_window_end = 0 then 1 else 0 end) as churned_in_window
    from account_status
    where active_at_window_start = 1
),

final as (
    select
        cast(active_at_window_start as integer) as active_at_window_start,
        cast(coalesce(churned_in_window, 0) as integer) as churned_in_window,
        {{ safe_divide('churned_in_window', 'active_at_window_start') }} as annual_churn_rate
    from churn_window
)

select * from final
