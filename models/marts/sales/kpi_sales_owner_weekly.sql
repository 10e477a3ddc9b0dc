{#- Owner report (S19) history: one row per owner (rep owning an opportunity or
    doing a sales activity) and ISO week (Monday start), from the first event's
    week to the week after the as-of date: deals created, won and lost, calls and
    meetings done in the week and scheduled for the week. -#}
with opportunities as (
    select * from {{ ref('fct_opportunities') }}
),

activities as (
    select * from {{ ref('fct_activities') }}
),

reps as (
    select * from {{ ref('dim_reps') }}
),

dates as (
    select * from {{ ref('dim_dates') }}
),

as_of as (
    select
        as_of_date,
        cast({{ dbt.date_trunc('week', 'as_of_date') }} as date) as as_of_week_start_date
    from {{ ref('int_as_of_date') }}
),

weeks as (
    select distinct dates.week_start_date
    from dates
    cross join as_of
    where dates.week_start_date <= cast({{ dbt.dateadd('day', 7, 'as_of.as_of_week_start_date') }} as date)
),

sales_activities as (
    select
        rep_id,
        activity_type,
        completed_at,
        scheduled_at,
        is_done
    from activities
    where
        purpose = 'sales'
        and activity_type in ('call', 'meeting')
        and rep_id is not null
        and coalesce(outcome, 'none') != 'cancelled'
),

owners as (
    select owner_rep_id as rep_id from opportunities
    where owner_rep_id is not null
    union
    select rep_id from sales_activities
),

-- one row per owner, week and event
events as (
    select
        owner_rep_id as rep_id,
        cast({{ dbt.date_trunc('week', 'created_at') }} as date) as week_start_date,
        'created' as event_type,
        cast(null as decimal(18, 2)) as amount
    from opportunities
    union all
    select
        owner_rep_id as rep_id,
        cast({{ dbt.date_trunc('week', 'closed_at') }} as date) as week_start_date,
        case when is_won then 'won' else 'lost' end as event_type,
        amount
    from opportunities
    where is_closed and closed_at is not null
    union all
    select
        rep_id,
        cast({{ dbt.date_trunc('week', 'completed_at') }} as date) as week_start_date,
        activity_type || '_done' as event_type,
        cast(null as decimal(18, 2)) as amount
    from sales_activities
    where is_done
    union all
    select
        rep_id,
        cast({{ dbt.date_trunc('week', 'scheduled_at') }} as date) as week_start_date,
        activity_type || '_scheduled' as event_type,
        cast(null as decimal(18, 2)) as amount
    from sales_activities
    where scheduled_at is not null
),

by_week as (
    select
        rep_id,
        week_start_date,
        count(case when event_type = 'created' then 1 end) as opportunities_created,
        count(case when event_type = 'won' then 1 end) as opportunities_won,
        sum(case when event_type = 'won' then amount end) as won_revenue,
        count(case when event_type = 'won' and amount is null then 1 end) as opportunities_won_without_amount,
        count(case when event_type = 'lost' then 1 end) as opportunities_lost,
        count(case when event_type = 'call_done' then 1 end) as calls_done,
        count(case when event_type = 'meeting_done' then 1 end) as meetings_done,
        count(case when event_type = 'call_scheduled' then 1 end) as calls_scheduled,
        count(case when event_type = 'meeting_scheduled' then 1 end) as meetings_scheduled
    from events
    group by rep_id, week_start_date
),

spine as (
    select
        owners.rep_id,
        weeks.week_start_date
    from owners
    cross join weeks
),

final as (
    select
        spine.rep_id,
        reps.rep_name,
        reps.team_id,
        reps.team_name,
        spine.week_start_date,
        case
            when spine.week_start_date = cast({{ dbt.dateadd('day', -7, 'as_of.as_of_week_start_date') }} as date)
                then 'last_week'
            when spine.week_start_date = as_of.as_of_week_start_date then 'this_week'
            when spine.week_start_date = cast({{ dbt.dateadd('day', 7, 'as_of.as_of_week_start_date') }} as date)
                then 'next_week'
        end as relative_week,
        coalesce(by_week.opportunities_created, 0) as opportunities_created,
        coalesce(by_week.opportunities_won, 0) as opportunities_won,
        -- doc block unknown_amounts: 0 without won deals, null when none has a known amount
        {{ amount_total('by_week.won_revenue', 'by_week.opportunities_won') }} as won_revenue,
        coalesce(by_week.opportunities_won_without_amount, 0) as opportunities_won_without_amount,
        coalesce(by_week.opportunities_lost, 0) as opportunities_lost,
        {{ coalesce_if_present('activities', 'by_week.calls_done') }} as calls_done,
        {{ coalesce_if_present('activities', 'by_week.meetings_done') }} as meetings_done,
        {{ coalesce_if_present('activities', 'by_week.calls_scheduled') }} as calls_scheduled,
        {{ coalesce_if_present('activities', 'by_week.meetings_scheduled') }} as meetings_scheduled
    from spine
    cross join as_of
    left join by_week
        on
            spine.rep_id = by_week.rep_id
            and spine.week_start_date = by_week.week_start_date
    left join reps
        on spine.rep_id = reps.rep_id
)

select * from final
