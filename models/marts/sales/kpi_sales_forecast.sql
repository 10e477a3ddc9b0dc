{#- Forecast (S10) at the as-of date: the currently open opportunities' amount x
    win probability by expected close month, stage and dimension member, with the
    seed probability of the stage and, beside it, the empirical probability: the
    share of the deals closed in the trailing 12 months up to the as-of date that
    reached the stage and were won. A deal in a raw stage the seed does not map is
    open (not known to be closed) and forecast under stage 'unmapped', whose
    probability is unknown: its forecast amounts are null, its count and amount
    are kept. -#}
with opportunities as (
    select * from {{ ref('fct_opportunities') }}
),

opportunity_dimensions as (
    select * from {{ ref('int_sales_opportunity_dimensions_unpivoted') }}
),

members as (
    select * from {{ ref('int_sales_dimension_members') }}
),

stage_probabilities as (
    select * from {{ ref('int_sales_stage_win_probabilities') }}
),

as_of as (
    select * from {{ ref('int_as_of_date') }}
),

open_deals as (
    select
        opportunities.opportunity_id,
        coalesce(opportunities.stage_name, 'unmapped') as stage_name,
        opportunities.amount,
        opportunities.amount * opportunities.stage_probability as weighted_amount,
        cast({{ dbt.date_trunc('month', 'opportunities.expected_close_date') }} as date)
            as expected_close_month_start_date
    from opportunities
    where opportunities.is_open and opportunities.expected_close_date is not null
),

forecast_months as (
    select distinct dates.month_start_date as expected_close_month_start_date
    from {{ ref('dim_dates') }} as dates
    cross join as_of
    where
        dates.date_day >= as_of.as_of_month_start_date
        and dates.date_day < cast({{ dbt.dateadd('month', 12, 'as_of.as_of_month_start_date') }} as date)
    union
    select distinct expected_close_month_start_date
    from open_deals
),

open_by_member as (
    select
        open_deals.expected_close_month_start_date,
        opportunity_dimensions.dimension_name,
        opportunity_dimensions.dimension_value,
        open_deals.stage_name,
        count(*) as open_opportunities,
        count(open_deals.amount) as open_with_amount_count,
        sum(open_deals.amount) as open_amount,
        sum(open_deals.weighted_amount) as weighted_amount
    from open_deals
    inner join opportunity_dimensions
        on open_deals.opportunity_id = opportunity_dimensions.opportunity_id
    group by
        open_deals.expected_close_month_start_date,
        opportunity_dimensions.dimension_name,
        opportunity_dimensions.dimension_value,
        open_deals.stage_name
),

-- the open stages of the seed, plus 'unmapped' when an open deal is in one
forecast_stages as (
    select
        stage_name,
        stage_order,
        stage_probability
    from stage_probabilities
    union all
    select distinct
        'unmapped' as stage_name,
        cast(null as integer) as stage_order,
        cast(null as decimal(5, 2)) as stage_probability
    from open_deals
    where stage_name = 'unmapped'
),

spine as (
    select
        forecast_months.expected_close_month_start_date,
        members.dimension_name,
        members.dimension_value,
        members.dimension_label,
        forecast_stages.stage_name,
        forecast_stages.stage_order,
        forecast_stages.stage_probability
    from forecast_months
    cross join members
    cross join forecast_stages
),

joined as (
    select
        spine.*,
        coalesce(open_by_member.open_opportunities, 0) as open_opportunities,
        -- doc block unknown_amounts: 0 without deals, null when none has a known amount
        {{ amount_total('open_by_member.open_amount', 'open_by_member.open_opportunities') }} as open_amount,
        coalesce(open_by_member.open_opportunities, 0) - coalesce(open_by_member.open_with_amount_count, 0)
            as open_opportunities_without_amount,
        -- a stage without a probability ('unmapped') has no weighted amount: null, not 0
        cast(
            case
                when spine.stage_probability is not null
                    then {{ amount_total('open_by_member.weighted_amount', 'open_by_member.open_opportunities') }}
            end as decimal(18, 2)
        ) as weighted_amount,
        stage_probabilities.reached_count as empirical_opportunities_reached,
        stage_probabilities.reached_won_count as empirical_opportunities_won,
        {{ safe_divide('stage_probabilities.reached_won_count', 'stage_probabilities.reached_count') }}
            as empirical_win_probability
    from spine
    left join open_by_member
        on
            spine.expected_close_month_start_date = open_by_member.expected_close_month_start_date
            and spine.dimension_name = open_by_member.dimension_name
            and spine.dimension_value = open_by_member.dimension_value
            and spine.stage_name = open_by_member.stage_name
    left join stage_probabilities
        on spine.stage_name = stage_probabilities.stage_name
),

final as (
    select
        joined.expected_close_month_start_date,
        joined.dimension_name,
        joined.dimension_value,
        joined.dimension_label,
        joined.stage_name,
        joined.stage_order,
        as_of.as_of_date,
        joined.expected_close_month_start_date < as_of.as_of_month_start_date as is_overdue,
        joined.open_opportunities,
        joined.open_amount,
        joined.open_opportunities_without_amount,
        joined.stage_probability,
        joined.empirical_win_probability,
        joined.empirical_opportunities_reached,
        joined.empirical_opportunities_won,
        -- each deal at its own raw stage's probability (S7's weighted amount)
        cast(round(joined.weighted_amount, 2) as decimal(18, 2)) as forecast_amount,
        cast(round(joined.open_amount * joined.empirical_win_probability, 2) as decimal(18, 2))
            as forecast_amount_empirical
    from joined
    cross join as_of
)

select * from final
