{#- The periods in which each opportunity was open, in which stage: the open-stage
    intervals of the stage history, starting no earlier than the opportunity's
    creation and, for the current entry of a deal that is closed now, ending at
    its close. A deal whose history starts after its creation is open from its
    creation in stage 'no_stage_yet' until its first history row. Opportunities
    without stage history get one period from creation to close in their current
    stage ('unknown' when they are closed now). An unmapped stage is not known to
    be closed, so it counts as open, as 'unmapped' (until the deal's closed_at
    when the export gives one). -#}
with stage_intervals as (
    select * from {{ ref('int_opportunity_stage_intervals') }}
),

opportunities as (
    select * from {{ ref('fct_opportunities') }}
),

from_history as (
    select
        stage_intervals.opportunity_id,
        stage_intervals.stage_history_id as period_id,
        coalesce(stage_intervals.stage_name, 'unmapped') as stage_name,
        stage_intervals.stage_order,
        stage_intervals.stage_probability,
        coalesce(stage_intervals.amount, opportunities.amount) as amount,
        case
            when stage_intervals.entered_at < opportunities.created_at then opportunities.created_at
            else stage_intervals.entered_at
        end as valid_from_at,
        case
            when stage_intervals.exited_at is null and not opportunities.is_open then opportunities.closed_at
            else stage_intervals.exited_at
        end as valid_to_at
    from stage_intervals
    inner join opportunities
        on stage_intervals.opportunity_id = opportunities.opportunity_id
    -- open stages, and unmapped ones (not known to be closed)
    where not coalesce(stage_intervals.is_closed, false)
),

-- the history's first row, for the time between creation and it
first_entries as (
    select
        opportunity_id,
        entered_at as first_entered_at,
        amount as first_entry_amount
    from stage_intervals
    where stage_sequence_number = 1
),

before_history as (
    select
        opportunities.opportunity_id,
        opportunities.opportunity_id as period_id,
        'no_stage_yet' as stage_name,
        cast(null as integer) as stage_order,
        cast(null as decimal(5, 2)) as stage_probability,
        coalesce(first_entries.first_entry_amount, opportunities.amount) as amount,
        opportunities.created_at as valid_from_at,
        case
            when opportunities.closed_at < first_entries.first_entered_at then opportunities.closed_at
            else first_entries.first_entered_at
        end as valid_to_at
    from opportunities
    inner join first_entries
        on opportunities.opportunity_id = first_entries.opportunity_id
    where first_entries.first_entered_at > opportunities.created_at
),

without_history as (
    select
        opportunities.opportunity_id,
        opportunities.opportunity_id as period_id,
        case
            when opportunities.stage_name is null then 'unmapped'
            when opportunities.is_open then opportunities.stage_name
            else 'unknown'
        end as stage_name,
        case when opportunities.is_open then opportunities.stage_order end as stage_order,
        cast(case when opportunities.is_open then opportunities.stage_probability end as decimal(5, 2))
            as stage_probability,
        opportunities.amount,
        opportunities.created_at as valid_from_at,
        opportunities.closed_at as valid_to_at
    from opportunities
    where opportunities.stage_change_count = 0
),

unioned as (
    select * from from_history
    union all
    select * from before_history
    union all
    select * from without_history
),

final as (
    select
        opportunity_id,
        period_id,
        stage_name,
        stage_order,
        stage_probability,
        amount,
        valid_from_at,
        valid_to_at
    from unioned
    where valid_to_at is null or valid_to_at > valid_from_at
)

select * from final
