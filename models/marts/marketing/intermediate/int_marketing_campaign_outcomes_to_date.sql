{#- M5 lifetime: what each campaign brought up to the as-of date: leads
    created, opportunities created, of those the deals won (closed won on or
    before the as-of date) and their revenue, and new customers (first win on
    or before the as-of date, int_accounts_acquired). One row per campaign
    with at least one of them. -#}
with as_of as (
    select * from {{ ref('int_as_of_date') }}
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
        leads.campaign_id,
        count(*) as leads_created,
        0 as opportunities,
        0 as opportunities_won,
        cast(null as decimal(18, 2)) as campaign_revenue,
        0 as opportunities_won_without_amount,
        0 as new_customers
    from leads
    cross join as_of
    where leads.campaign_id is not null and leads.created_date <= as_of.as_of_date
    group by leads.campaign_id
),

opportunity_counts as (
    select
        opportunities.campaign_id,
        0 as leads_created,
        count(*) as opportunities,
        sum(
            case when opportunities.is_won and opportunities.closed_date <= as_of.as_of_date then 1 else 0 end
        ) as opportunities_won,
        sum(
            case
                when opportunities.is_won and opportunities.closed_date <= as_of.as_of_date
                    then opportunities.amount
            end
        ) as campaign_revenue,
        sum(
            case
                when
                    opportunities.is_won and opportunities.closed_date <= as_of.as_of_date
                    and opportunities.amount is null
                    then 1
                else 0
            end
        ) as opportunities_won_without_amount,
        0 as new_customers
    from opportunities
    cross join as_of
    where opportunities.campaign_id is not null and opportunities.created_date <= as_of.as_of_date
    group by opportunities.campaign_id
),

new_customer_counts as (
    select
        accounts_acquired.first_won_campaign_id as campaign_id,
        0 as leads_created,
        0 as opportunities,
        0 as opportunities_won,
        cast(null as decimal(18, 2)) as campaign_revenue,
        0 as opportunities_won_without_amount,
        count(*) as new_customers
    from accounts_acquired
    cross join as_of
    where
        accounts_acquired.first_won_campaign_id is not null
        and cast(accounts_acquired.first_won_at as date) <= as_of.as_of_date
    group by accounts_acquired.first_won_campaign_id
),

measures as (
    select * from lead_counts
    union all
    select * from opportunity_counts
    union all
    select * from new_customer_counts
),

final as (
    select
        campaign_id,
        cast(sum(leads_created) as integer) as leads_created,
        cast(sum(opportunities) as integer) as opportunities,
        cast(sum(opportunities_won) as integer) as opportunities_won,
        cast(sum(campaign_revenue) as decimal(18, 2)) as campaign_revenue,
        cast(sum(opportunities_won_without_amount) as integer) as opportunities_won_without_amount,
        cast(sum(new_customers) as integer) as new_customers
    from measures
    group by campaign_id
)

select * from final
