{#- Day spine from the first event date to the as-of date: as many days as the
    data spans (number_series; a fixed 15000-day series, ~41 years, cut a longer
    span short). -#}
with as_of as (
    select * from {{ ref('int_as_of_date') }}
),

numbers as (
    {{ number_series(dbt.datediff('first_event_date', 'as_of_date', 'day') ~ ' + 1', 'as_of') }}
),

days as (
    select
        cast(
            {{ dbt.dateadd('day', 'numbers.generated_number - 1', 'as_of.first_event_date') }} as date
        ) as date_day
    from numbers
    cross join as_of
),

weeks as (
    select
        date_day,
        cast({{ dbt.date_trunc('month', 'date_day') }} as date) as month_start_date,
        cast({{ dbt.date_trunc('week', 'date_day') }} as date) as week_start_date
    from days
),

final as (
    select
        date_day,
        month_start_date,
        week_start_date,
        {{ dbt.datediff('week_start_date', 'date_day', 'day') | trim }} < 5 as is_weekday
    from weeks
)

select * from final
