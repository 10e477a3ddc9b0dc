{#- M5 by month and campaign channel: campaigns active, members and responses,
    leads, opportunities, purchases, revenue, new customers, cost, CPL, CPO, ROI. -#}
with months as (
    select * from {{ ref('int_months') }}
),

campaign_channels as (
    select * from {{ ref('campaign_channels') }}
),

campaigns as (
    select
        campaign_id,
        coalesce(channel, 'unknown') as channel,
        cost_amount,
        start_date,
        end_date
    from {{ ref('dim_campaigns') }}
),

campaign_members as (
    select * from {{ ref('stg_crm__campaign_members') }}
),

leads as (
    select * from {{ ref('fct_leads') }}
),

opportunities as (
    select * from {{ ref('fct_opportunities') }}
),

accounts_acquired as (
    select * from {{ ref('int_accounts_acquired') }}
),

channel_members as (
    select distinct channel from campaign_channels
    union
    select 'unknown' as channel
),

spine as (
    select
        months.month_start_date,
        months.month_end_date,
        channel_members.channel
    from months
    cross join channel_members
),

active_campaigns as (
    select
        spine.month_start_date,
        spine.channel,
        count(*) as campaigns_active
    from spine
    inner join campaigns
        on
            spine.channel = campaigns.channel
            and spine.month_end_date >= campaigns.start_date
            and (campaigns.end_date is null or spine.month_start_date <= campaigns.end_date)
    group by spine.month_start_date, spine.channel
),

campaign_starts as (
    select
        cast({{ dbt.date_trunc('month', 'start_date') }} as date) as month_start_date,
        channel,
        count(*) as campaigns_started,
        count(case when cost_amount is null then 1 end) as campaigns_started_without_cost,
        sum(cost_amount) as campaign_cost
    from campaigns
    group by cast({{ dbt.date_trunc('month', 'start_date') }} as date), channel
),

member_counts as (
    select
        cast({{ dbt.date_trunc('month', 'campaign_members.added_at') }} as date) as month_start_date,
        campaigns.channel,
        count(*) as members_added,
        sum(case when campaign_members.responded_at is not null then 1 else 0 end) as members_responded
    from campaign_members
    inner join campaigns
        on campaign_members.campaign_id = campaigns.campaign_id
    group by
        cast({{ dbt.date_trunc('month', 'campaign_members.added_at') }} as date),
        campaigns.channel
),

lead_counts as (
    select
        leads.created_month_start_date as month_start_date,
        campaigns.channel,
        count(*) as leads_created
    from leads
    inner join campaigns
        on leads.campaign_id = campaigns.campaign_id
    group by leads.created_month_start_date, campaigns.channel
),

opportunity_counts as (
    select
        opportunities.created_month_start_date as month_start_date,
        campaigns.channel,
        count(*) as opportunities_created
    from opportunities
    inner join campaigns
        on opportunities.campaign_id = campaigns.campaign_id
    group by opportunities.created_month_start_date, campaigns.channel
),

won_counts as (
    select
        opportunities.closed_month_start_date as month_start_date,
        campaigns.channel,
        count(*) as won_deals,
        count(case when opportunities.amount is null then 1 end) as won_deals_without_amount,
        sum(opportunities.amount) as campaign_revenue
    from opportunities
    inner join campaigns
        on opportunities.campaign_id = campaigns.campaign_id
    where opportunities.is_won
    group by opportunities.closed_month_start_date, campaigns.channel
),

new_customer_counts as (
    select
        accounts_acquired.first_won_month_start_date as month_start_date,
        campaigns.channel,
        count(*) as new_customers
    from accounts_acquired
    inner join campaigns
        on accounts_acquired.first_won_campaign_id = campaigns.campaign_id
    group by accounts_acquired.first_won_month_start_date, campaigns.channel
),

monthly as (
    select
        spine.month_start_date,
        spine.channel,
        cast(
            {{ coalesce_if_present('campaigns', 'active_campaigns.campaigns_active') }}
            as integer
        ) as campaigns_active,
        cast(
            {{ coalesce_if_present('campaigns', 'campaign_starts.campaigns_started') }}
            as integer
        ) as campaigns_started,
        cast({{ coalesce_if_present('campaign_members', 'member_counts.members_added') }} as integer) as members_added,
        cast(
            {{ coalesce_if_present('campaign_members', 'member_counts.members_responded') }}
            as integer
        ) as members_responded,
        cast({{ coalesce_if_present('leads', 'lead_counts.leads_created') }} as integer) as leads_created,
        cast(
            {{ coalesce_if_present('opportunities', 'opportunity_counts.opportunities_created') }}
            as integer
        ) as opportunities_created,
        cast({{ coalesce_if_present('opportunities', 'won_counts.won_deals') }} as integer) as won_deals,
        -- amounts: doc block unknown_amounts (0 without rows, null when none is known)
        {{ amount_total(
            'won_counts.campaign_revenue', 'won_counts.won_deals', entities='opportunities'
        ) }} as campaign_revenue,
        cast(
            {{ coalesce_if_present('opportunities', 'won_counts.won_deals_without_amount') }}
            as integer
        ) as won_deals_without_amount,
        cast(
            {{ coalesce_if_present('opportunities', 'new_customer_counts.new_customers') }}
            as integer
        ) as new_customers,
        {{ amount_total(
            'campaign_starts.campaign_cost', 'campaign_starts.campaigns_started', entities='campaigns'
        ) }} as campaign_cost,
        cast(
            {{ coalesce_if_present('campaigns', 'campaign_starts.campaigns_started_without_cost') }}
            as integer
        ) as campaigns_started_without_cost
    from spine
    left join active_campaigns
        on
            spine.month_start_date = active_campaigns.month_start_date
            and spine.channel = active_campaigns.channel
    left join campaign_starts
        on
            spine.month_start_date = campaign_starts.month_start_date
            and spine.channel = campaign_starts.channel
    left join member_counts
        on
            spine.month_start_date = member_counts.month_start_date
            and spine.channel = member_counts.channel
    left join lead_counts
        on
            spine.month_start_date = lead_counts.month_start_date
            and spine.channel = lead_counts.channel
    left join opportunity_counts
        on
            spine.month_start_date = opportunity_counts.month_start_date
            and spine.channel = opportunity_counts.channel
    left join won_counts
        on
            spine.month_start_date = won_counts.month_start_date
            and spine.channel = won_counts.channel
    left join new_customer_counts
        on
            spine.month_start_date = new_customer_counts.month_start_date
            and spine.channel = new_customer_counts.channel
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
        won_deals,
        campaign_revenue,
        won_deals_without_amount,
        new_customers,
        campaign_cost,
        campaigns_started_without_cost,
        {{ safe_divide('campaign_cost', 'leads_created', 'decimal(18,2)') }} as cost_per_lead,
        {{ safe_divide('campaign_cost', 'opportunities_created', 'decimal(18,2)') }} as cost_per_opportunity,
        {{ safe_divide('campaign_revenue - campaign_cost', 'campaign_cost') }} as return_on_investment
    from monthly
)

select * from final
