{#- Month spine from the first event month to the as-of month (a fixed 1200-month
    series filtered to that range: portable, no compile-time query). -#}
with as_of as (
    select * from {{ ref('int_as_of_date') }}
),

numbers as (
    {{ dbt.generate_series(1200) }}
),

months as (
    select
        numbers.generated_number as month_number,
        cast(
            {{ dbt.dateadd('month', 'numbers.generated_number - 1', dbt.date_trunc('month', 'as_of.first_event_date')) }}
            as date
        ) as month_start_date
    from numbers
    cross join as_of
),

final as (
    select
        months.month_start_date,
        cast({{ dbt.last_day('months.month_start_date', 'month') }} as date) as month_end_date,
        cast(
            {{ dbt.datediff('months.month_start_date', dbt.last_day('months.month_start_date', 'month'), 'day') }} + 1
            as integer
        ) as days_in_month,
        cast(months.month_number as integer) as month_number,
        months.month_start_date = as_of.as_of_month_start_date as is_as_of_month
    from months
    cross join as_of
    where months.month_start_date <= as_of.as_of_month_start_date
)

select * from final
