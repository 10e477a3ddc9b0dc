{#- One row per open canonical stage (S10): the seed's win probability of the
    stage and, beside it, the empirical one: of the deals closed in the 12
    months up to the as-of date, the share of those that reached the stage
    which were won. -#}
with opportunities as (
    select * from {{ ref('fct_opportunities') }}
),

stage_changes as (
    select * from {{ ref('fct_opportunity_stage_changes') }}
),

stages as (
    select * from {{ ref('stg_reference__stages') }}
),

as_of as (
    select * from {{ ref('int_as_of_date') }}
),

-- one row per open canonical stage, with the probability of the seed row named
-- after it (raw names of one stage may carry their CRM's own probabilities)
open_stages as (
    select
        stage_name,
        stage_order,
        default_probability as stage_probability
    from stages
    where not is_closed and raw_stage_name = stage_name
),

-- deals closed in the 12 months up to the as-of date, with the furthest open stage they reached
recently_closed as (
    select
        opportunities.opportunity_id,
        opportunities.is_won
    from opportunities
    cross join as_of
    where
        opportunities.is_closed
        and opportunities.closed_date > cast({{ dbt.dateadd('month', -12, 'as_of.as_of_date') }} as date)
        and opportunities.closed_date <= as_of.as_of_date
),

furthest_open_stage as (
    select
        opportunity_id,
        max(stage_order) as max_open_stage_order
    from stage_changes
    where not is_closed
    group by opportunity_id
),

-- a deal reached a stage when it entered it or a later open stage (a skipped
-- stage counts as passed), or when it was won
reached as (
    select
        open_stages.stage_name,
        recently_closed.opportunity_id,
        recently_closed.is_won
    from recently_closed
    left join furthest_open_stage
        on recently_closed.opportunity_id = furthest_open_stage.opportunity_id
    inner join open_stages
        on
            recently_closed.is_won
            or furthest_open_stage.max_open_stage_order >= open_stages.stage_order
),

final as (
    select
        open_stages.stage_name,
        open_stages.stage_order,
        open_stages.stage_probability,
        count(reached.opportunity_id) as reached_count,
        count(case when reached.is_won then 1 end) as reached_won_count
    from open_stages
    left join reached
        on open_stages.stage_name = reached.stage_name
    group by open_stages.stage_name, open_stages.stage_order, open_stages.stage_probability
)

select * from final
