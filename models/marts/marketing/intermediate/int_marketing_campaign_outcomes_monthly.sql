{#- M5: what campaigns brought, by month and campaign channel: leads by their
    created month, opportunities by their created month, won deals and their
    revenue by the close month, new customers (int_accounts_acquired) by the
    month of their first win. Only leads and deals with a campaign count. -#}
with campaigns as (
    select
        campaign_id,
        coalesce(channel, 'unknown') as channel
    from {{ ref('dim_campaigns') }}
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

lead_counts as (
    select
        leads.created_month_start_date as month_start_date,
        campaigns.channel,
        count(*) as leads_created,
        0 as opportunities_created,
        0 as opportunities_won,
        0 as opportunities_won_without_amount,
        cast(null as decimal(18, 2)) as campaign_revenue,
        0 as new_customers
    from leads
    inner join campaigns
        on leads.campaign_id = campaigns.campaign_id
    group by leads.created_month_start_date, campaigns.channel
),

opportunity_counts as (
    select
        opportunities.created_month_start_date as month_start_date,
        campaigns.channel,
        0 as leads_created,
        count(*) as opportunities_created,
        0 as opportunities_won,
        0 as opportunities_won_without_amount,
        cast(null as decimal(18, 2)) as campaign_revenue,
        0 as new_customers
    from opportunities
    inner join campaigns
        on opportunities.campaign_id = campaigns.campaign_id
    group by opportunities.created_month_start_date, campaigns.channel
),

won_counts as (
    select
        opportunities.closed_month_start_date as month_start_date,
        campaigns.channel,
        0 as leads_created,
        0 as opportunities_created,
        count(*) as opportunities_won,
        count(case when opportunities.amount is null then 1 end) as opportunities_won_without_amount,
        sum(opportunities.amount) as campaign_revenue,
        0 as new_customers
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
        0 as leads_created,
        0 as opportunities_created,
        0 as opportunities_won,
        0 as opportunities_won_without_amount,
        cast(null as decimal(18, 2)) as campaign_revenue,
        count(*) as new_customers
    from accounts_acquired
    inner join campaigns
        on accounts_acquired.first_won_campaign_id = campaigns.campaign_id
    group by accounts_acquired.first_won_month_start_date, campaigns.channel
),

measures as (
    select * from lead_counts
    union all
    select * from opportunity_counts
    union all
    select * from won_counts
    union all
    select * from new_customer_counts
),

final as (
    select
        month_start_date,
        channel,
        cast(sum(leads_created) as integer) as leads_created,
        cast(sum(opportunities_created) as integer) as opportunities_created,
        cast(sum(opportunities_won) as integer) as opportunities_won,
        cast(sum(opportunities_won_without_amount) as integer) as opportunities_won_without_amount,
        cast(sum(campaign_revenue) as decimal(18, 2)) as campaign_revenue,
        cast(sum(new_customers) as integer) as new_customers
    from measures
    group by month_start_date, channel
)

select * from final
