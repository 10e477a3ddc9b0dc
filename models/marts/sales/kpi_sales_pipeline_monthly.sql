{#- Open pipeline (S7) and average days open (S9) at each month's balance date
    (the month end; the as-of date for the month in progress) by the stage the
    opportunities were in at that date (from stage history), per dimension
    member: one row per month x dimension member x stage, zeros included. A stage
    without a win probability (no_stage_yet, unmapped, unknown) has no weighted
    amount (null, not 0) when deals are in it. -#}
with snapshots as (
    select * from {{ ref('int_open_opportunities_snapshotted') }}
),

opportunity_dimensions as (
    select * from {{ ref('int_sales_opportunity_dimensions_unpivoted') }}
),

members as (
    select * from {{ ref('int_sales_dimension_members') }}
),

months as (
    select * from {{ ref('int_months') }}
),

stages as (
    select * from {{ ref('stg_reference__stages') }}
),

-- the open canonical stages, plus any other label found at a month end
-- ('no_stage_yet' before the first history row, 'unmapped' raw stage,
-- 'unknown' stage of a closed deal without history)
pipeline_stages as (
    select distinct
        stage_name,
        stage_order
    from stages
    where not is_closed
    union
    select distinct
        stage_name,
        stage_order
    from snapshots
),

pipeline_by_stage as (
    select
        snapshots.month_start_date,
        opportunity_dimensions.dimension_name,
        opportunity_dimensions.dimension_value,
        snapshots.stage_name,
        count(*) as open_pipeline_opportunities,
        count(case when snapshots.stage_probability is null then 1 end) as unweighted_count,
        count(snapshots.amount) as open_pipeline_with_amount_count,
        sum(snapshots.amount) as open_pipeline_amount,
        sum(snapshots.weighted_amount) as open_pipeline_weighted_amount,
        sum(snapshots.days_open) as total_days_open
    from snapshots
    inner join opportunity_dimensions
        on snapshots.opportunity_id = opportunity_dimensions.opportunity_id
    group by
        snapshots.month_start_date,
        opportunity_dimensions.dimension_name,
        opportunity_dimensions.dimension_value,
        snapshots.stage_name
),

spine as (
    select
        months.month_start_date,
        months.month_end_date,
        months.balance_date,
        members.dimension_name,
        members.dimension_value,
        members.dimension_label,
        pipeline_stages.stage_name,
        pipeline_stages.stage_order
    from months
    cross join members
    cross join pipeline_stages
),

final as (
    select
        spine.month_start_date,
        spine.month_end_date,
        spine.balance_date,
        spine.dimension_name,
        spine.dimension_value,
        spine.dimension_label,
        spine.stage_name,
        spine.stage_order,
        coalesce(pipeline_by_stage.open_pipeline_opportunities, 0) as open_pipeline_opportunities,
        -- amounts: doc block unknown_amounts (0 without deals, null when none is known)
        {{ amount_total('pipeline_by_stage.open_pipeline_amount', 'pipeline_by_stage.open_pipeline_opportunities') }}
            as open_pipeline_amount,
        -- deals in a stage without a probability: weight unknown, not 0 (the cast
        -- outermost: PostgreSQL drops the decimal's scale from a case around one)
        cast(
            case
                when pipeline_by_stage.unweighted_count > 0 then null
                else {{ amount_total(
                    'pipeline_by_stage.open_pipeline_weighted_amount', 'pipeline_by_stage.open_pipeline_opportunities'
                ) }}
            end as decimal(18, 2)
        ) as open_pipeline_weighted_amount,
        coalesce(pipeline_by_stage.open_pipeline_opportunities, 0)
        - coalesce(pipeline_by_stage.open_pipeline_with_amount_count, 0) as open_pipeline_opportunities_without_amount,
        {{ safe_divide(
            'pipeline_by_stage.total_days_open', 'pipeline_by_stage.open_pipeline_opportunities', 'decimal(18,2)'
        ) }}
            as days_open_mean
    from spine
    left join pipeline_by_stage
        on
            spine.month_start_date = pipeline_by_stage.month_start_date
            and spine.dimension_name = pipeline_by_stage.dimension_name
            and spine.dimension_value = pipeline_by_stage.dimension_value
            and spine.stage_name = pipeline_by_stage.stage_name
)

select * from final
