{#- A1 sales calls per rep and day against target: one row per calling rep
    (a rep with a done sales call or a rep-level calls target) and day on
    which the rep was employed, plus any other day the rep logged a sales
    call; up to the as-of date. The daily target spreads the month's calls
    target evenly over the month's weekdays (none on weekends). -#}
with activities as (
    select * from {{ ref('fct_activities') }}
),

reps as (
    select * from {{ ref('dim_reps') }}
),

targets as (
    select * from {{ ref('int_targets_mapped') }}
),

employed_days as (
    select * from {{ ref('int_rep_days_employed') }}
),

days as (
    select * from {{ ref('int_days') }}
),

month_weekdays as (
    select * from {{ ref('int_month_weekdays_counted') }}
),

as_of as (
    select * from {{ ref('int_as_of_date') }}
),

sales_calls as (
    select
        activities.rep_id,
        activities.activity_date as date_day,
        count(*) as calls,
        sum(case when activities.is_connected then 1 else 0 end) as connected_calls,
        sum(case when activities.outcome = 'no_answer' then 1 else 0 end) as no_answer_calls,
        sum(case when activities.outcome = 'voicemail' then 1 else 0 end) as voicemail_calls,
        sum(coalesce(activities.talk_seconds, 0)) as talk_seconds
    from activities
    cross join as_of
    where
        activities.is_sales_call
        and activities.rep_id is not null
        and activities.activity_date <= as_of.as_of_date
    group by activities.rep_id, activities.activity_date
),

call_targets as (
    select
        rep_id,
        target_month as month_start_date,
        sum(target_value) as calls_target
    from targets
    where
        target_level = 'rep'
        and metric = 'calls'
    group by rep_id, target_month
),

calling_reps as (
    select rep_id from sales_calls
    union
    select rep_id from call_targets
),

rep_days as (
    select
        employed_days.rep_id,
        employed_days.date_day
    from employed_days
    inner join calling_reps
        on employed_days.rep_id = calling_reps.rep_id

    union

    select
        rep_id,
        date_day
    from sales_calls
),

joined as (
    select
        rep_days.date_day,
        rep_days.rep_id,
        reps.team_id,
        days.month_start_date,
        days.is_weekday,
        employed_days.rep_id is not null as is_employed,
        {{ coalesce_if_present('activities', 'sales_calls.calls') }} as calls,
        {{ coalesce_if_present('activities', 'sales_calls.connected_calls') }} as connected_calls,
        {{ coalesce_if_present('activities', 'sales_calls.no_answer_calls') }} as no_answer_calls,
        {{ coalesce_if_present('activities', 'sales_calls.voicemail_calls') }} as voicemail_calls,
        {{ coalesce_if_present('activities', 'sales_calls.talk_seconds') }} as talk_seconds,
        case when days.is_weekday then call_targets.calls_target end as calls_target,
        month_weekdays.weekdays_in_month
    from rep_days
    inner join days
        on rep_days.date_day = days.date_day
    left join reps
        on rep_days.rep_id = reps.rep_id
    left join employed_days
        on
            rep_days.rep_id = employed_days.rep_id
            and rep_days.date_day = employed_days.date_day
    left join sales_calls
        on
            rep_days.rep_id = sales_calls.rep_id
            and rep_days.date_day = sales_calls.date_day
    left join call_targets
        on
            rep_days.rep_id = call_targets.rep_id
            and days.month_start_date = call_targets.month_start_date
    left join month_weekdays
        on days.month_start_date = month_weekdays.month_start_date
),

final as (
    select
        date_day,
        rep_id,
        team_id,
        month_start_date,
        is_weekday,
        is_employed,
        cast(calls as integer) as calls,
        cast(connected_calls as integer) as connected_calls,
        cast(no_answer_calls + voicemail_calls as integer) as unanswered_calls,
        cast(no_answer_calls as integer) as no_answer_calls,
        cast(voicemail_calls as integer) as voicemail_calls,
        cast(talk_seconds as bigint) as talk_seconds,
        {{ safe_divide('calls_target', 'weekdays_in_month', 'decimal(18,2)') }} as daily_calls_target,
        {{ safe_divide('calls * weekdays_in_month', 'calls_target') }} as daily_calls_target_attainment
    from joined
)

select * from final
