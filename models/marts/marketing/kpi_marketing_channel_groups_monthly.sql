{#- M4 paid / earned / owned: leads, opportunities, won revenue, campaign cost
    and return on spend; one row per month and channel group. -#}
with months as (
    select * from {{ ref('int_months') }}
),

lead_sources as (
    select * from {{ ref('stg_reference__lead_sources') }}
),

campaign_channels as (
    select * from {{ ref('campaign_channels') }}
),

outcomes as (
    select * from {{ ref('int_marketing_channel_group_outcomes_monthly') }}
),

campaign_costs as (
    select
        month_start_date,
        channel_group,
        sum(campaigns_started) as campaigns_started,
        sum(campaigns_started_without_cost) as campaigns_started_without_cost,
        sum(campaign_cost) as campaign_cost
    from {{ ref('int_marketing_campaigns_monthly') }}
    group by month_start_date, channel_group
),

group_members as (
    select channel_group from lead_sources
    union
    select channel_group from campaign_channels
    union
    select 'unknown' as channel_group
),

spine as (
    select
        months.month_start_date,
        group_members.channel_group
    from months
    cross join group_members
),

monthly as (
    select
        spine.month_start_date,
        spine.channel_group,
        cast({{ coalesce_if_present('leads', 'outcomes.leads_created') }} as integer) as leads_created,
        cast(
            {{ coalesce_if_present('opportunities', 'outcomes.opportunities_created') }}
            as integer
        ) as opportunities_created,
        cast({{ coalesce_if_present('opportunities', 'outcomes.opportunities_won') }} as integer) as opportunities_won,
        -- amounts: doc block unknown_amounts (0 without rows, null when none is known)
        {{ amount_total(
            'outcomes.won_revenue', 'outcomes.opportunities_won', entities='opportunities'
        ) }} as won_revenue,
        cast(
            {{ coalesce_if_present('opportunities', 'outcomes.opportunities_won_without_amount') }}
            as integer
        ) as opportunities_won_without_amount,
        cast(
            {{ coalesce_if_present('campaigns', 'campaign_costs.campaigns_started') }}
            as integer
        ) as campaigns_started,
        {{ amount_total(
            'campaign_costs.campaign_cost', 'campaign_costs.campaigns_started', entities='campaigns'
        ) }} as campaign_cost,
        cast(
            {{ coalesce_if_present('campaigns', 'campaign_costs.campaigns_started_without_cost') }}
            as integer
        ) as campaigns_started_without_cost
    from spine
    left join outcomes
        on
            spine.month_start_date = outcomes.month_start_date
            and spine.channel_group = outcomes.channel_group
    left join campaign_costs
        on
            spine.month_start_date = campaign_costs.month_start_date
            and spine.channel_group = campaign_costs.channel_group
),

final as (
    select
        month_start_date,
        channel_group,
        leads_created,
        opportunities_created,
        opportunities_won,
        won_revenue,
        opportunities_won_without_amount,
        campaigns_started,
        campaign_cost,
        campaigns_started_without_cost,
        {{ safe_divide('won_revenue', 'campaign_cost') }} as return_on_spend
    from monthly
)

select * from final
