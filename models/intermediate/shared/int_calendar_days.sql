{#- Day spine of the calendar (dim_dates): from the first event date to 366
    days after the as-of date, as many days as that span holds (number_series;
    a fixed 16000-day series cut a longer span short). dim_dates adds the
    calendars to it, so its unit tests give hand-picked days. -#}
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

final as (
    select
        days.date_day,
        days.date_day > as_of.as_of_date as is_after_as_of_date
    from days
    cross join as_of
    where days.date_day <= cast({{ dbt.dateadd('day', 366, 'as_of.as_of_date') }} as date)
)

select * from final
