{#- T1 by month of the win and campaign or channel, under each attribution
    model: credited revenue (rpt_marketing_attribution_deals), the cost of
    the campaigns started in the month (the convention of
    kpi_marketing_campaigns_monthly) and the return on investment, for the
    month and to date (every month up to this one). Long format: one row per
    month of the spine x dimension (campaign: each campaign and
    'unattributed'; channel: each channel and 'unattributed') x model. See
    doc marketing_attribution_rules. -#}
with months as (
    select * from {{ ref('int_months') }}
),

credits as (
    select * from {{ ref('rpt_marketing_attribution_deals') }}
),

campaigns as (
    select
        campaign_id,
        coalesce(channel, 'unknown') as channel,
        cost_amount,
        cast({{ dbt.date_trunc('month', 'start_date') }} as date) as start_month_start_date
    from {{ ref('dim_campaigns') }}
),

attribution_models as (
    select distinct attribution_model from credits
),

members as (
    select
        'campaign' as dimension_name,
        campaign_id as dimension_value
    from campaigns

    union

    select
        'channel' as dimension_name,
        channel as dimension_value
    from campaigns

    union

    -- a touch may name a campaign the export no longer has (channel 'unknown')
    select
        'campaign' as dimension_name,
        coalesce(campaign_id, 'unattributed') as dimension_value
    from credits

    union

    select
        'channel' as dimension_name,
        channel as dimension_value
    from credits

    union

    select
        dimension_name,
        'unattributed' as dimension_value
    from (
        select 'campaign' as dimension_name
        union all
        select 'channel' as dimension_name
    ) as dimension_names
),

member_credits as (
    select
        won_month_start_date as month_start_date,
        'campaign' as dimension_name,
        coalesce(campaign_id, 'unattributed') as dimension_value,
        attribution_model,
        sum(credit_share) as credited_deals,
        sum(credited_revenue) as credited_revenue
    from credits
    group by won_month_start_date, coalesce(campaign_id, 'unattributed'), attribution_model

    union all

    select
        won_month_start_date as month_start_date,
        'channel' as dimension_name,
        channel as dimension_value,
        attribution_model,
        sum(credit_share) as credited_deals,
        sum(credited_revenue) as credited_revenue
    from credits
    group by won_month_start_date, channel, attribution_model
),

member_costs as (
    -- null when a campaign started in the month has an unknown cost
    select
        start_month_start_date as month_start_date,
        'campaign' as dimension_name,
        campaign_id as dimension_value,
        case when count(cost_amount) = count(*) then sum(cost_amount) end as campaign_cost
    from campaigns
    group by start_month_start_date, campaign_id

    union all

    select
        start_month_start_date as month_start_date,
        'channel' as dimension_name,
        channel as dimension_value,
        case when count(cost_amount) = count(*) then sum(cost_amount) end as campaign_cost
    from campaigns
    group by start_month_start_date, channel
),

spine as (
    select
        months.month_start_date,
        members.dimension_name,
        members.dimension_value,
        attribution_models.attribution_model
    from months
    cross join members
    cross join attribution_models
),

joined as (
    select
        spine.month_start_date,
        spine.dimension_name,
        spine.dimension_value,
        spine.attribution_model,
        coalesce(member_credits.credited_deals, 0) as credited_deals,
        coalesce(member_credits.credited_revenue, 0) as credited_revenue,
        -- no campaign started in the month: no cost (0); the unattributed member has none to know (null)
        case
            when spine.dimension_value = 'unattributed' then null
            when member_costs.dimension_value is null then 0
            else member_costs.campaign_cost
        end as campaign_cost
    from spine
    left join member_credits
        on
            spine.month_start_date = member_credits.month_start_date
            and spine.dimension_name = member_credits.dimension_name
            and spine.dimension_value = member_credits.dimension_value
            and spine.attribution_model = member_credits.attribution_model
    left join member_costs
        on
            spine.month_start_date = member_costs.month_start_date
            and spine.dimension_name = member_costs.dimension_name
            and spine.dimension_value = member_costs.dimension_value
),

to_date as (
    select
        *,
        sum(credited_revenue) over (
            partition by dimension_name, dimension_value, attribution_model
            order by month_start_date
            rows between unbounded preceding and current row
        ) as credited_revenue_to_date,
        sum(campaign_cost) over (
            partition by dimension_name, dimension_value, attribution_model
            order by month_start_date
            rows between unbounded preceding and current row
        ) as known_cost_to_date,
        -- months so far with an unknown cost (the cost to date is then unknown)
        sum(case when campaign_cost is null then 1 else 0 end) over (
            partition by dimension_name, dimension_value, attribution_model
            order by month_start_date
            rows between unbounded preceding and current row
        ) as unknown_cost_months_to_date
    from joined
),

costed as (
    select
        *,
        case when unknown_cost_months_to_date = 0 then known_cost_to_date end as campaign_cost_to_date
    from to_date
),

final as (
    select
        month_start_date,
        dimension_name,
        dimension_value,
        attribution_model,
        cast(credited_deals as decimal(18, 6)) as credited_deals,
        cast(credited_revenue as decimal(18, 2)) as credited_revenue,
        cast(campaign_cost as decimal(18, 2)) as campaign_cost,
        {{ safe_divide('credited_revenue - campaign_cost', 'campaign_cost') }} as return_on_investment,
        cast(credited_revenue_to_date as decimal(18, 2)) as credited_revenue_to_date,
        cast(campaign_cost_to_date as decimal(18, 2)) as campaign_cost_to_date,
        {{ safe_divide('credited_revenue_to_date - campaign_cost_to_date', 'campaign_cost_to_date') }}
            as return_on_investment_to_date
    from costed
)

select * from final
