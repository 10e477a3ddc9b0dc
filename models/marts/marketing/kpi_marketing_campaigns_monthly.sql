{#- M5 by month and campaign channel: campaigns active, members and responses,
    leads, opportunities, purchases, revenue, new customers, cost, CPL, CPO, ROI. -#}
with months as (
    select * from {{ ref('int_months') }}
),

campaign_channels as (
    select * from {{ ref('campaign_channels') }}
),

campaigns_monthly as (
    select
        month_start_date,
        channel,
        sum(campaigns_active) as campaigns_active,
        sum(campaigns_started) as campaigns_started,
        sum(campaigns_started_without_cost) as campaigns_started_without_cost,
        sum(campaign_cost) as campaign_cost
    from {{ ref('int_marketing_campaigns_monthly') }}
    group by month_start_date, channel
),

member_counts as (
    select * from {{ ref('int_marketing_campaign_members_monthly') }}
),

outcomes as (
    select * from {{ ref('int_marketing_campaign_outcomes_monthly') }}
),

channel_members as (
    select distinct channel from campaign_channels
    union
    select 'unknown' as channel
),

spine as (
    select
        months.month_start_date,
        channel_members.channel
    from months
    cross join channel_members
),

monthly as (
    select
        spine.month_start_date,
        spine.channel,
        cast(
            {{ coalesce_if_present('campaigns', 'campaigns_monthly.campaigns_active') }}
            as integer
        ) as campaigns_active,
        cast(
            {{ coalesce_if_present('campaigns', 'campaigns_monthly.campaigns_started') }}
            as integer
        ) as campaigns_started,
        cast({{ coalesce_if_present('campaign_members', 'member_counts.members_added') }} as integer) as members_added,
        cast(
            {{ coalesce_if_present('campaign_members', 'member_counts.members_responded') }}
            as integer
        ) as members_responded,
        cast({{ coalesce_if_present('leads', 'outcomes.leads_created') }} as integer) as leads_created,
        cast(
            {{ coalesce_if_present('opportunities', 'outcomes.opportunities_created') }}
            as integer
        ) as opportunities_created,
        cast({{ coalesce_if_present('opportunities', 'outcomes.opportunities_won') }} as integer) as opportunities_won,
        -- amounts: doc block unknown_amounts (0 without rows, null when none is known)
        {{ amount_total(
            'outcomes.campaign_revenue', 'outcomes.opportunities_won', entities='opportunities'
        ) }} as campaign_revenue,
        cast(
            {{ coalesce_if_present('opportunities', 'outcomes.opportunities_won_without_amount') }}
            as integer
        ) as opportunities_won_without_amount,
        cast(
            {{ coalesce_if_present('opportunities', 'outcomes.new_customers') }}
            as integer
        ) as new_customers,
        {{ amount_total(
            'campaigns_monthly.campaign_cost', 'campaigns_monthly.campaigns_started', entities='campaigns'
        ) }} as campaign_cost,
        cast(
            {{ coalesce_if_present('campaigns', 'campaigns_monthly.campaigns_started_without_cost') }}
            as integer
        ) as campaigns_started_without_cost
    from spine
    left join campaigns_monthly
        on
            spine.month_start_date = campaigns_monthly.month_start_date
            and spine.channel = campaigns_monthly.channel
    left join member_counts
        on
            spine.month_start_date = member_counts.month_start_date
            and spine.channel = member_counts.channel
    left join outcomes
        on
            spine.month_start_date = outcomes.month_start_date
            and spine.channel = outcomes.channel
),

final as (
    select
        month_start_date,
        channel,
        campaigns_active,
        campaigns_started,
        members_added,
        members_responded,
        {{ safe_divide('members_responded', 'members_added') }} as response_rate,
        leads_created,
        opportunities_created,
        opportunities_won,
        campaign_revenue,
        opportunities_won_without_amount,
        new_customers,
        campaign_cost,
        campaigns_started_without_cost,
        {{ safe_divide('campaign_cost', 'leads_created', 'decimal(18,2)') }} as cost_per_lead,
        {{ safe_divide('campaign_cost', 'opportunities_created', 'decimal(18,2)') }} as cost_per_opportunity,
        {{ safe_divide('campaign_revenue - campaign_cost', 'campaign_cost') }} as return_on_investment
    from monthly
)

select * from final
