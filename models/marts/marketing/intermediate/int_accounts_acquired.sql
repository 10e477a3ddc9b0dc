{#- One row per customer account: its first won deal (with primary campaign)
    and its first lead created on or before that deal closed. -#}
with opportunities as (
    select * from {{ ref('fct_opportunities') }}
),

leads as (
    select * from {{ ref('fct_leads') }}
),

won_deals as (
    select
        account_id,
        opportunity_id,
        campaign_id,
        closed_at,
        row_number() over (
            partition by account_id
            order by closed_at, opportunity_id
        ) as won_rank
    from opportunities
    where is_won and account_id is not null and closed_at is not null
),

first_won_deals as (
    select
        account_id,
        opportunity_id as first_won_opportunity_id,
        campaign_id as first_won_campaign_id,
        closed_at as first_won_at
    from won_deals
    where won_rank = 1
),

account_leads as (
    select
        first_won_deals.account_id,
        leads.lead_id,
        leads.lead_source,
        leads.created_at,
        row_number() over (
            partition by first_won_deals.account_id
            order by leads.created_at, leads.lead_id
        ) as lead_rank
    from first_won_deals
    inner join leads
        on
            first_won_deals.account_id = leads.account_id
            and first_won_deals.first_won_at >= leads.created_at
),

first_leads as (
    select
        account_id,
        lead_id,
        lead_source,
        created_at
    from account_leads
    where lead_rank = 1
),

final as (
    select
        first_won_deals.account_id,
        first_won_deals.first_won_opportunity_id,
        first_won_deals.first_won_at,
        cast({{ dbt.date_trunc('month', 'first_won_deals.first_won_at') }} as date) as first_won_month_start_date,
        first_won_deals.first_won_campaign_id,
        first_leads.lead_id as first_lead_id,
        first_leads.lead_source as first_lead_source,
        first_leads.created_at as first_lead_created_at,
        coalesce(first_leads.lead_source = 'referral', false) as is_referral_customer
    from first_won_deals
    left join first_leads
        on first_won_deals.account_id = first_leads.account_id
)

select * from final
