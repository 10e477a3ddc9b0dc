{#- Open pipeline (S7, S9) per month and dimension member, at the month's
    balance date (int_open_opportunities_snapshotted): open deals, their
    amount and weighted amount, the deals without a stage probability, and
    the mean days open. Only months and members with an open deal have a
    row. -#}
with snapshots as (
    select * from {{ ref('int_open_opportunities_snapshotted') }}
),

opportunity_dimensions as (
    select * from {{ ref('int_sales_opportunity_dimensions_unpivoted') }}
),

final as (
    select
        snapshots.month_start_date,
        opportunity_dimensions.dimension_name,
        opportunity_dimensions.dimension_value,
        count(*) as open_pipeline_opportunities,
        count(case when snapshots.stage_probability is null then 1 end) as open_pipeline_opportunities_unweighted,
        count(snapshots.amount) as open_pipeline_opportunities_with_amount,
        cast(sum(snapshots.amount) as decimal(18, 2)) as open_pipeline_amount,
        cast(sum(snapshots.weighted_amount) as decimal(18, 2)) as open_pipeline_weighted_amount,
        {{ safe_divide(
            'sum(snapshots.days_open)',
            'count(snapshots.days_open)',
            'decimal(18,2)'
        ) }} as days_open_mean
    from snapshots
    inner join opportunity_dimensions
        on snapshots.opportunity_id = opportunity_dimensions.opportunity_id
    group by snapshots.month_start_date, opportunity_dimensions.dimension_name, opportunity_dimensions.dimension_value
)

select * from final
