{#- One row per month of the spine: its days and weekdays (Monday to Friday),
    counted over the whole calendar month (the spine's first and as-of months
    included), to spread a monthly target over working days. -#}
with months as (
    select * from {{ ref('int_months') }}
),

numbers as (
    {{ dbt.generate_series(31) }}
),

month_days as (
    select
        months.month_start_date,
        cast({{ dbt.dateadd('day', 'numbers.generated_number - 1', 'months.month_start_date') }} as date)
            as date_day
    from months
    cross join numbers
    where numbers.generated_number <= months.days_in_month
),

weeks as (
    select
        month_start_date,
        date_day,
        cast({{ dbt.date_trunc('week', 'date_day') }} as date) as week_start_date
    from month_days
),

final as (
    select
        month_start_date,
        cast(count(*) as integer) as days_in_month,
        cast(
            sum(
                case
                    when {{ dbt.datediff('week_start_date', 'date_day', 'day') | trim }} < 5 then 1
                    else 0
                end
            ) as integer
        ) as weekdays_in_month
    from weeks
    group by month_start_date
)

select * from final
