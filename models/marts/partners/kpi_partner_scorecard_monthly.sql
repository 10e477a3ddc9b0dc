{#- Partner scorecard: one row per channel partner x month of the spine, over
    the opportunities the partner registered (opportunity.partner_id). The sales
    KPIs come from kpi_sales_monthly (dimension 'partner'), so both agree; channel
    mix, deal success rate and the quality score are computed here. -#}
with partners as (
    select * from {{ ref('dim_partners') }}
),

sales_monthly as (
    select * from {{ ref('kpi_sales_monthly') }}
    where dimension_name = 'partner'
),

opportunities as (
    select * from {{ ref('fct_opportunities') }}
),

months as (
    select * from {{ ref('int_months') }}
),

all_partners as (
    select
        partner_id,
        partner_name,
        partner_tier
    from partners
    union
    select
        partner_id,
        'unknown' as partner_name,
        cast(null as {{ dbt.type_string() }}) as partner_tier
    from opportunities
    where
        partner_id is not null
        and partner_id not in (select partners.partner_id from partners)
),

-- opportunities registered (created) in the month: channel mix and deal success rate
registered as (
    select
        partner_id,
        created_month_start_date as month_start_date,
        count(*) as registered_opportunities,
        count(case when is_won then 1 end) as registered_opportunities_won,
        count(case when channel_group = 'paid' then 1 end) as registered_paid_opportunities,
        count(case when channel_group = 'earned' then 1 end) as registered_earned_opportunities,
        count(case when channel_group = 'owned' then 1 end) as registered_owned_opportunities,
        count(case when channel_group = 'unknown' then 1 end) as registered_unknown_channel_opportunities
    from opportunities
    where partner_id is not null
    group by partner_id, created_month_start_date
),

joined as (
    select
        months.month_start_date,
        all_partners.partner_id,
        all_partners.partner_name,
        all_partners.partner_tier,
        coalesce(sales_monthly.opportunities_won, 0) as opportunities_won,
        -- amounts: doc block unknown_amounts (0 without deals, null when none is known)
        {{ amount_total('sales_monthly.won_revenue', 'sales_monthly.opportunities_won') }} as won_revenue,
        coalesce(sales_monthly.opportunities_won_with_amount, 0) as opportunities_won_with_amount,
        coalesce(sales_monthly.opportunities_won_without_amount, 0) as opportunities_won_without_amount,
        sales_monthly.won_revenue_mean,
        coalesce(sales_monthly.opportunities_lost, 0) as opportunities_lost,
        {{ amount_total('sales_monthly.lost_amount', 'sales_monthly.opportunities_lost') }} as lost_amount,
        sales_monthly.win_rate,
        sales_monthly.win_rate_by_amount,
        sales_monthly.sales_cycle_days_mean,
        coalesce(sales_monthly.open_pipeline_opportunities, 0) as open_pipeline_opportunities,
        {{ amount_total('sales_monthly.open_pipeline_amount', 'sales_monthly.open_pipeline_opportunities') }}
            as open_pipeline_amount,
        {{ amount_total('sales_monthly.open_pipeline_weighted_amount', 'sales_monthly.open_pipeline_opportunities') }}
            as open_pipeline_weighted_amount,
        coalesce(sales_monthly.open_pipeline_opportunities_without_amount, 0)
            as open_pipeline_opportunities_without_amount,
        sales_monthly.sales_velocity,
        coalesce(registered.registered_opportunities, 0) as registered_opportunities,
        coalesce(registered.registered_opportunities_won, 0) as registered_opportunities_won,
        coalesce(registered.registered_paid_opportunities, 0) as registered_paid_opportunities,
        coalesce(registered.registered_earned_opportunities, 0) as registered_earned_opportunities,
        coalesce(registered.registered_owned_opportunities, 0) as registered_owned_opportunities,
        coalesce(registered.registered_unknown_channel_opportunities, 0) as registered_unknown_channel_opportunities
    from months
    cross join all_partners
    left join sales_monthly
        on
            months.month_start_date = sales_monthly.month_start_date
            and all_partners.partner_id = sales_monthly.dimension_value
    left join registered
        on
            months.month_start_date = registered.month_start_date
            and all_partners.partner_id = registered.partner_id
),

-- trailing 12 months (this month and the 11 before), on the complete month spine
trailing_windows as (
    select
        *,
        -- null when the window's won deals have no known amount at all
        case
            when
                sum(opportunities_won_with_amount) over (
                    partition by partner_id order by month_start_date rows between 11 preceding and current row
                ) = 0
                and sum(opportunities_won) over (
                    partition by partner_id order by month_start_date rows between 11 preceding and current row
                ) > 0
                then null
            else sum(coalesce(won_revenue, 0)) over (
                partition by partner_id order by month_start_date rows between 11 preceding and current row
            )
        end as won_revenue_trailing_12m,
        sum(registered_opportunities + opportunities_won + opportunities_lost) over (
            partition by partner_id order by month_start_date rows between 11 preceding and current row
        ) as trailing_12m_activity_count
    from joined
),

-- quality score: percentile of trailing won revenue among partners active in the window
scored as (
    select
        partner_id,
        month_start_date,
        cast(
            round(
                cast(
                    100 * percent_rank() over (partition by month_start_date order by won_revenue_trailing_12m)
                    as decimal(18, 6)
                ),
                2
            ) as decimal(18, 2)
        ) as quality_score
    from trailing_windows
    where trailing_12m_activity_count > 0 and won_revenue_trailing_12m is not null
),

with_score as (
    select
        trailing_windows.*,
        scored.quality_score,
        cast(
            lag(scored.quality_score, 12) over (
                partition by trailing_windows.partner_id order by trailing_windows.month_start_date
            ) as decimal(18, 2)
        ) as quality_score_previous_12m
    from trailing_windows
    left join scored
        on
            trailing_windows.partner_id = scored.partner_id
            and trailing_windows.month_start_date = scored.month_start_date
),

final as (
    select
        month_start_date,
        partner_id,
        partner_name,
        partner_tier,
        opportunities_won,
        won_revenue,
        opportunities_won_without_amount,
        won_revenue_mean,
        opportunities_lost,
        lost_amount,
        win_rate,
        win_rate_by_amount,
        open_pipeline_opportunities,
        open_pipeline_amount,
        open_pipeline_weighted_amount,
        open_pipeline_opportunities_without_amount,
        sales_cycle_days_mean,
        sales_velocity,
        registered_opportunities,
        registered_opportunities_won,
        {{ safe_divide('registered_opportunities_won', 'registered_opportunities') }} as registered_win_rate,
        registered_paid_opportunities,
        registered_earned_opportunities,
        registered_owned_opportunities,
        registered_unknown_channel_opportunities,
        {{ safe_divide('registered_paid_opportunities', 'registered_opportunities') }} as channel_mix_paid_share,
        {{ safe_divide('registered_earned_opportunities', 'registered_opportunities') }} as channel_mix_earned_share,
        {{ safe_divide('registered_owned_opportunities', 'registered_opportunities') }} as channel_mix_owned_share,
        {{ safe_divide(
            'registered_unknown_channel_opportunities', 'registered_opportunities'
        ) }} as channel_mix_unknown_share,
        cast(won_revenue_trailing_12m as decimal(18, 2)) as won_revenue_trailing_12m,
        trailing_12m_activity_count > 0 as is_active_trailing_12m,
        quality_score,
        quality_score_previous_12m,
        cast(quality_score - quality_score_previous_12m as decimal(18, 2)) as quality_score_change
    from with_score
)

select * from final
