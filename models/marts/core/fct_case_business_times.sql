{#- B1: each support case's first response and resolution time counted in
    business hours, beside the calendar ones of fct_cases, and its SLA
    status against the same priority targets read as business hours. The
    case is timed by the schedule of its owner's team (seed
    business_schedule_teams), else by the default schedule (var
    business_hours_default_schedule_id), and says which. Business time
    between two instants = the difference of the schedule's business clock
    at them (int_service_business_intervals); the business due time is the
    instant the clock reaches the clock at opening + the target. See doc
    service_business_hours_rules. -#}
with cases as (
    select * from {{ ref('fct_cases') }}
),

reps as (
    select
        rep_id,
        team_name
    from {{ ref('dim_reps') }}
),

schedule_teams as (
    select * from {{ ref('business_schedule_teams') }}
),

intervals as (
    select * from {{ ref('int_service_business_intervals') }}
),

as_of as (
    select * from {{ ref('int_as_of_date') }}
),

assigned as (
    select
        cases.case_id,
        cases.opened_at,
        cases.first_response_at,
        cases.final_resolved_at,
        cases.first_response_target_hours,
        cases.resolution_target_hours,
        cases.first_response_sla_status,
        cases.resolution_sla_status,
        cases.seconds_to_first_response,
        cases.seconds_to_resolution,
        case when reps.team_name != 'unknown' then reps.team_name end as team_name,
        coalesce(schedule_teams.schedule_id, '{{ var("business_hours_default_schedule_id") }}') as schedule_id,
        case
            when schedule_teams.schedule_id is not null then 'team'
            when reps.team_name is null or reps.team_name = 'unknown' then 'default_team_unknown'
            else 'default_team_not_in_seed'
        end as schedule_source
    from cases
    left join reps
        on cases.owner_rep_id = reps.rep_id
    left join schedule_teams
        on lower(trim(reps.team_name)) = schedule_teams.team_name
),

points as (
    select
        case_id,
        schedule_id,
        'opened' as point_name,
        opened_at as point_at
    from assigned

    union all

    select
        case_id,
        schedule_id,
        'first_response' as point_name,
        first_response_at as point_at
    from assigned
    where first_response_at is not null

    union all

    select
        case_id,
        schedule_id,
        'resolved' as point_name,
        final_resolved_at as point_at
    from assigned
    where final_resolved_at is not null
),

point_clocks as (
    -- the clock at an instant: the working seconds before the latest interval
    -- starting at or before it, plus the part of that interval already gone;
    -- before the schedule's first interval, 0 (the join:
    -- macros/service/business_intervals.sql)
    select
        points.case_id,
        points.point_name,
        coalesce(
            intervals.clock_start_seconds
            + case
                when points.point_at >= intervals.interval_end_at then intervals.interval_seconds
                else cast(
                    {{ dbt.datediff('intervals.interval_start_at', 'points.point_at', 'second') }}
                    as bigint
                )
            end,
            0
        ) as clock_seconds
    from points
    {{ business_interval_at_instant('intervals', 'intervals', 'points.schedule_id', 'points.point_at') }}
),

clocks as (
    select
        case_id,
        max(case when point_name = 'opened' then clock_seconds end) as opened_clock_seconds,
        max(case when point_name = 'first_response' then clock_seconds end) as first_response_clock_seconds,
        max(case when point_name = 'resolved' then clock_seconds end) as resolved_clock_seconds
    from point_clocks
    group by case_id
),

targeted as (
    select
        assigned.*,
        clocks.opened_clock_seconds,
        case
            when assigned.first_response_at >= assigned.opened_at
                then clocks.first_response_clock_seconds - clocks.opened_clock_seconds
        end as business_seconds_to_first_response,
        case
            when assigned.final_resolved_at >= assigned.opened_at
                then clocks.resolved_clock_seconds - clocks.opened_clock_seconds
        end as business_seconds_to_resolution,
        clocks.opened_clock_seconds + assigned.first_response_target_hours * 3600 as first_response_due_clock_seconds,
        clocks.opened_clock_seconds + assigned.resolution_target_hours * 3600 as resolution_due_clock_seconds
    from assigned
    inner join clocks
        on assigned.case_id = clocks.case_id
),

due as (
    -- the instant the clock reaches the due reading: inside the interval whose
    -- clock range holds it (macros/service/business_intervals.sql); null when
    -- the spine's intervals end first
    select
        targeted.*,
        {{ business_instant_at_clock('targeted.first_response_due_clock_seconds', 'first_response_interval') }}
            as business_first_response_due_at,
        {{ business_instant_at_clock('targeted.resolution_due_clock_seconds', 'resolution_interval') }}
            as business_resolution_due_at
    from targeted
    {{ business_interval_at_clock(
        'intervals', 'first_response_interval', 'targeted.schedule_id', 'targeted.first_response_due_clock_seconds'
    ) }}
    {{ business_interval_at_clock(
        'intervals', 'resolution_interval', 'targeted.schedule_id', 'targeted.resolution_due_clock_seconds'
    ) }}
),

statused as (
    select
        due.*,
        case
            -- no target, or no first response the export could have recorded: as in calendar hours
            when due.first_response_sla_status in ('no_target', 'not_recorded') then due.first_response_sla_status
            when due.first_response_at is not null
                then
                    case
                        when
                            due.first_response_at <= due.opened_at
                            or due.business_seconds_to_first_response <= due.first_response_target_hours * 3600
                            then 'met'
                        else 'missed'
                    end
            when due.business_first_response_due_at is null then 'no_business_hours'
            when cast(due.business_first_response_due_at as date) <= as_of.as_of_date then 'missed'
            else 'pending'
        end as business_first_response_sla_status,
        case
            when due.resolution_sla_status = 'no_target' then 'no_target'
            when due.final_resolved_at is not null
                then
                    case
                        when
                            due.final_resolved_at <= due.opened_at
                            or due.business_seconds_to_resolution <= due.resolution_target_hours * 3600
                            then 'met'
                        else 'missed'
                    end
            when due.resolution_sla_status = 'closed_unresolved' then 'closed_unresolved'
            when due.business_resolution_due_at is null then 'no_business_hours'
            when cast(due.business_resolution_due_at as date) <= as_of.as_of_date then 'missed'
            else 'pending'
        end as business_resolution_sla_status
    from due
    cross join as_of
),

final as (
    select
        ---------- ids
        case_id,
        ---------- schedule
        team_name,
        schedule_id,
        schedule_source,
        ---------- calendar times (fct_cases), beside the business ones
        seconds_to_first_response,
        seconds_to_resolution,
        {{ safe_divide('seconds_to_first_response', '3600', 'decimal(18,2)') }} as hours_to_first_response,
        {{ safe_divide('seconds_to_resolution', '3600', 'decimal(18,2)') }} as hours_to_resolution,
        ---------- business times (B1)
        cast(business_seconds_to_first_response as bigint) as business_seconds_to_first_response,
        cast(business_seconds_to_resolution as bigint) as business_seconds_to_resolution,
        {{ safe_divide('business_seconds_to_first_response', '3600', 'decimal(18,2)') }}
            as business_hours_to_first_response,
        {{ safe_divide('business_seconds_to_resolution', '3600', 'decimal(18,2)') }}
            as business_hours_to_resolution,
        ---------- SLA in business hours (B1), beside fct_cases' calendar SLA
        first_response_target_hours,
        resolution_target_hours,
        business_first_response_due_at,
        cast(business_first_response_due_at as date) as business_first_response_due_date,
        cast({{ dbt.date_trunc('month', 'business_first_response_due_at') }} as date)
            as business_first_response_due_month_start_date,
        business_resolution_due_at,
        cast(business_resolution_due_at as date) as business_resolution_due_date,
        cast({{ dbt.date_trunc('month', 'business_resolution_due_at') }} as date)
            as business_resolution_due_month_start_date,
        first_response_sla_status,
        resolution_sla_status,
        business_first_response_sla_status,
        business_resolution_sla_status,
        case
            when business_first_response_sla_status = 'no_target' or business_resolution_sla_status = 'no_target'
                then null
            when
                business_first_response_sla_status in ('not_recorded', 'no_business_hours')
                or business_resolution_sla_status in ('closed_unresolved', 'no_business_hours')
                then null
            when business_first_response_sla_status = 'missed' or business_resolution_sla_status = 'missed'
                then false
            when business_first_response_sla_status = 'met' and business_resolution_sla_status = 'met' then true
        end as is_business_sla_met
    from statused
)

select * from final
