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

leads as (
    select * from {{ ref('fct_leads') }}
),

opportunities as (
    select * from {{ ref('fct_opportunities') }}
),

campaigns as (
    select * from {{ ref('dim_campaigns') }}
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

lead_counts as (
    select
        created_month_start_date as month_start_date,
        channel_group,
        count(*) as leads_created
    from leads
    group by created_month_start_date, channel_group
),

opportunity_counts as (
    select
        created_month_start_date as month_start_date,
        channel_group,
        count(*) as opportunities_created
    from opportunities
    group by created_month_start_date, channel_group
),

won_counts as (
    select
        closed_month_start_date as month_start_date,
        channel_group,
        count(*) as won_deals,
        count(case when amount is null then 1 end) as won_deals_without_amount,
        sum(amount) as won_revenue
    from opportunities
    where is_won
    group by closed_month_start_date, channel_group
),

campaign_costs as (
    select
        cast({{ dbt.date_trunc('month', 'start_date') }} as date) as month_start_date,
        coalesce(channel_group, 'unknown') as channel_group,
        count(*) as campaigns_started,
        count(case when cost_amount is null then 1 end) as campaigns_started_without_cost,
        sum(cost_amount) as campaign_cost
    from campaigns
    group by
        cast({{ dbt.date_trunc('month', 'start_date') }} as date),
        coalesce(channel_group, 'unknown')
),

monthly as (
    select
        spine.month_start_date,
        spine.channel_group,
        cast({{ coalesce_if_present('leads', 'lead_counts.leads_created') }} as integer) as leads_created,
        cast(
            {{ coalesce_if_present('opportunities', 'opportunity_counts.opportunities_created') }}
            as integer
        ) as opportunities_created,
        cast({{ coalesce_if_present('opportunities', 'won_counts.won_deals') }} as integer) as won_deals,
        -- amounts: doc block unknown_amounts (0 without rows, null when none is known)
        {{ amount_total(
            'won_counts.won_revenue', 'won_counts.won_deals', entities='opportunities'
        ) }} as won_revenue,
        cast(
            {{ coalesce_if_present('opportunities', 'won_counts.won_deals_without_amount') }}
            as integer
        ) as won_deals_without_amount,
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
    left join lead_counts
        on
            spine.month_start_date = lead_counts.month_start_date
            and spine.channel_group = lead_counts.channel_group
    left join opportunity_counts
        on
            spine.month_start_date = opportunity_counts.month_start_date
            and spine.channel_group = opportunity_counts.channel_group
    left join won_counts
        on
            spine.month_start_date = won_counts.month_start_date
            and spine.channel_group = won_counts.channel_group
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
        won_deals,
        won_revenue,
        won_deals_without_amount,
        campaigns_started,
        campaign_cost,
        campaigns_started_without_cost,
        {{ safe_divide('won_revenue', 'campaign_cost') }} as return_on_spend
    from monthly
)

select * from final
