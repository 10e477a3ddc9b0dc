{#- A3 CRM adoption per week (Monday to Sunday) of the day spine: the share of
    active reps who logged an activity in the week, and the share of the
    week's logged activities with every required field filled (doc
    activity_required_fields). Logged = created_at in the week, up to the
    as-of date; abandoned calls are logged by the phone system, not by a rep,
    and are left out. -#}
with activities as (
    select * from {{ ref('fct_activities') }}
),

reps as (
    select * from {{ ref('dim_reps') }}
),

days as (
    select * from {{ ref('int_days') }}
),

as_of as (
    select * from {{ ref('int_as_of_date') }}
),

weeks as (
    select
        week_start_date,
        cast({{ dbt.dateadd('day', 6, 'week_start_date') }} as date) as week_end_date
    from days
    group by week_start_date
),

logged as (
    select
        activities.activity_id,
        activities.rep_id,
        activities.has_required_fields,
        cast({{ dbt.date_trunc('week', 'activities.created_date') }} as date) as week_start_date
    from activities
    cross join as_of
    where
        not activities.is_abandoned
        and activities.created_date <= as_of.as_of_date
),

active_reps as (
    select
        weeks.week_start_date,
        reps.rep_id
    from weeks
    inner join reps
        on
            weeks.week_end_date >= reps.hired_date
            and (reps.left_date is null or weeks.week_start_date <= reps.left_date)
),

logging_reps as (
    select distinct
        week_start_date,
        rep_id
    from logged
    where rep_id is not null
),

rep_counts as (
    select
        active_reps.week_start_date,
        count(*) as active_reps,
        count(logging_reps.rep_id) as active_reps_logging
    from active_reps
    left join logging_reps
        on
            active_reps.week_start_date = logging_reps.week_start_date
            and active_reps.rep_id = logging_reps.rep_id
    group by active_reps.week_start_date
),

record_counts as (
    select
        week_start_date,
        count(*) as activities_logged,
        sum(case when has_required_fields then 1 else 0 end) as activities_complete
    from logged
    group by week_start_date
),

joined as (
    select
        weeks.week_start_date,
        weeks.week_end_date,
        coalesce(rep_counts.active_reps, 0) as active_reps,
        {{ coalesce_if_present('activities', 'rep_counts.active_reps_logging') }} as active_reps_logging,
        {{ coalesce_if_present('activities', 'record_counts.activities_logged') }} as activities_logged,
        {{ coalesce_if_present('activities', 'record_counts.activities_complete') }} as activities_complete
    from weeks
    left join rep_counts
        on weeks.week_start_date = rep_counts.week_start_date
    left join record_counts
        on weeks.week_start_date = record_counts.week_start_date
),

final as (
    select
        week_start_date,
        week_end_date,
        cast(active_reps as integer) as active_reps,
        cast(active_reps_logging as integer) as active_reps_logging,
        {{ safe_divide('active_reps_logging', 'active_reps') }} as adoption_rate,
        cast(activities_logged as integer) as activities_logged,
        cast(activities_complete as integer) as activities_complete,
        {{ safe_divide('activities_complete', 'activities_logged') }} as required_field_completeness
    from joined
)

select * from final
