{#- B1: the working intervals of every business schedule, one per schedule
    and local working day of the calendar spine (int_calendar_days, plus the
    day before it: a local day west of UTC can end on the spine's first UTC
    day), holidays left out, converted from the schedule's wall clock to UTC
    one day at a time (so a daylight-saving change moves the UTC hours, not
    the local ones). Each interval carries the schedule's business clock: the
    working seconds of all its earlier intervals, so the business time
    between two instants is the difference of their clock readings. -#}
with calendar_days as (
    select date_day from {{ ref('int_calendar_days') }}
),

schedules as (
    select * from {{ ref('business_schedules') }}
),

holidays as (
    select * from {{ ref('business_holidays') }}
),

local_days as (
    select date_day as local_date from calendar_days

    union

    select cast({{ dbt.dateadd('day', -1, 'min(date_day)') }} as date) as local_date
    from calendar_days
),

weeks as (
    -- weeks start on Monday (date_trunc 'week' on every adapter)
    select
        local_date,
        cast({{ dbt.date_trunc('week', 'local_date') }} as date) as week_start_date
    from local_days
),

weekdays as (
    select
        local_date,
        {{ dbt.datediff('week_start_date', 'local_date', 'day') }}
        + 1 as iso_day_of_week
    from weeks
),

working_days as (
    select
        schedules.schedule_id,
        schedules.time_zone,
        weekdays.local_date,
        schedules.start_hour,
        schedules.end_hour
    from weekdays
    inner join schedules
        on weekdays.iso_day_of_week = schedules.iso_day_of_week
    left join holidays
        on
            weekdays.local_date = holidays.holiday_date
            -- 'all', not an empty value, marks a holiday of every schedule: a Spark
            -- seed loads an empty text value as the string 'None', not null
            and holidays.schedule_id in ('all', schedules.schedule_id)
    where holidays.holiday_date is null
),

intervals as (
    select
        schedule_id,
        local_date,
        {{ local_to_utc_timestamp(
            dbt.dateadd('minute', 'cast(round(start_hour * 60) as integer)', 'cast(local_date as timestamp)'),
            'time_zone'
        ) }} as interval_start_at,
        {{ local_to_utc_timestamp(
            dbt.dateadd('minute', 'cast(round(end_hour * 60) as integer)', 'cast(local_date as timestamp)'),
            'time_zone'
        ) }} as interval_end_at
    from working_days
),

measured as (
    select
        *,
        cast(
            {{ dbt.datediff('interval_start_at', 'interval_end_at', 'second') }}
            as bigint
        ) as interval_seconds
    from intervals
),

final as (
    select
        schedule_id,
        local_date,
        interval_start_at,
        interval_end_at,
        interval_seconds,
        cast(coalesce(sum(interval_seconds) over (
            partition by schedule_id
            order by interval_start_at
            rows between unbounded preceding and 1 preceding
        ), 0) as bigint) as clock_start_seconds,
        lead(interval_start_at) over (
            partition by schedule_id
            order by interval_start_at
        ) as next_interval_start_at
    from measured
)

select * from final
