{#- Month spine from the first event month to the as-of month: as many months as
    the data spans (number_series counts them when the query runs; a fixed
    1200-month series cut a longer span short). -#}
with as_of as (
    select
        *,
        cast({{ dbt.date_trunc('month', 'first_event_date') }} as date) as first_event_month_date
    from {{ ref('int_as_of_date') }}
),

numbers as (
    {{ number_series(
        dbt.datediff('first_event_month_date', 'as_of_month_start_date', 'month') ~ ' + 1',
        'as_of',
    ) }}
),

months as (
    select
        numbers.generated_number as month_number,
        cast(
            {{ dbt.dateadd('month', 'numbers.generated_number - 1', 'as_of.first_event_month_date') | trim }} as date
        ) as month_start_date
    from numbers
    cross join as_of
),

month_ends as (
    select
        months.month_number,
        months.month_start_date,
        cast({{ dbt.last_day('months.month_start_date', 'month') }} as date) as month_end_date,
        months.month_start_date = as_of.as_of_month_start_date as is_as_of_month,
        as_of.as_of_date
    from months
    cross join as_of
    where months.month_start_date <= as_of.as_of_month_start_date
),

final as (
    select
        month_start_date,
        month_end_date,
        cast({{ dbt.datediff('month_start_date', 'month_end_date', 'day') | trim }} + 1 as integer) as days_in_month,
        cast(month_number as integer) as month_number,
        is_as_of_month,
        -- the date the month is measured at: its last day, the as-of date for the month in progress
        case when month_end_date > as_of_date then as_of_date else month_end_date end as balance_date
    from month_ends
)

select * from final
