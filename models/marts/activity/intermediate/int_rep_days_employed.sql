{#- One row per rep and day of the day spine (int_days: first event date to
    the as-of date) on which the rep was employed: hired_date <= day and
    (left_date null or day <= left_date). A rep who left mid-month has days up
    to and including left_date only. -#}
with reps as (
    select * from {{ ref('dim_reps') }}
),

days as (
    select * from {{ ref('int_days') }}
),

final as (
    select
        reps.rep_id,
        days.date_day,
        days.month_start_date,
        days.week_start_date,
        days.is_weekday
    from reps
    inner join days
        on
            reps.hired_date <= days.date_day
            and (reps.left_date is null or reps.left_date >= days.date_day)
)

select * from final
