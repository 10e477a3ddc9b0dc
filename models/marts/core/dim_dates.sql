{#- Day spine from the first event date to 366 days after the as-of date: as many
    days as that span holds (number_series; a fixed 16000-day series cut a
    longer span short). -#}
with as_of as (
    select * from {{ ref('int_as_of_date') }}
),

numbers as (
    {{ number_series(dbt.datediff('first_event_date', 'as_of_date', 'day') ~ ' + 367', 'as_of') }}
),

days as (
    select
        cast({{ dbt.dateadd('day', 'numbers.generated_number - 1', 'as_of.first_event_date') }} as date) as date_day
    from numbers
    cross join as_of
),

in_range as (
    select
        days.date_day,
        cast({{ dbt.date_trunc('week', 'days.date_day') }} as date) as week_start_date,
        days.date_day > as_of.as_of_date as is_after_as_of_date
    from days
    cross join as_of
    where days.date_day <= cast({{ dbt.dateadd('day', 366, 'as_of.as_of_date') }} as date)
),

final as (
    select
        date_day,
        week_start_date,
        cast({{ dbt.date_trunc('month', 'date_day') }} as date) as month_start_date,
        cast({{ dbt.last_day('date_day', 'month') }} as date) as month_end_date,
        cast({{ dbt.date_trunc('quarter', 'date_day') }} as date) as quarter_start_date,
        cast(extract(year from date_day) as integer) as year_number,
        cast(extract(quarter from date_day) as integer) as quarter_number,
        cast(extract(month from date_day) as integer) as month_of_year,
        cast(extract(day from date_day) as integer) as day_of_month,
        cast(
            {{ dbt.datediff('week_start_date', 'date_day', 'day') }}
            + 1 as integer
        ) as day_of_week_number,
        {{ dbt.datediff('week_start_date', 'date_day', 'day') }}
        < 5 as is_weekday,
        is_after_as_of_date
    from in_range
)

select * from final
