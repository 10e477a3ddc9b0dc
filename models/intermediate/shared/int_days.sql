{#- Day spine from the first event date to the as-of date (a fixed 15000-day series, ~41 years). -#}
with as_of as (
    select * from {{ ref('int_as_of_date') }}
),

numbers as (
    {{ dbt.generate_series(15000) }}
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
        cast({{ dbt.date_trunc('month', 'days.date_day') }} as date) as month_start_date,
        cast({{ dbt.date_trunc('week', 'days.date_day') }} as date) as week_start_date,
        {{ dbt.datediff(dbt.date_trunc('week', 'days.date_day'), 'days.date_day', 'day') }} < 5 as is_weekday
    from days
    cross join as_of
    where days.date_day <= as_of.as_of_date
)

select * from final
