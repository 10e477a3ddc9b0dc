{#- M4: leads by their created month, opportunities by their created month,
    won deals and won revenue by the close month, by month and the channel
    group of the lead or deal itself (paid / earned / owned / unknown). -#}
with leads as (
    select * from {{ ref('fct_leads') }}
),

opportunities as (
    select * from {{ ref('fct_opportunities') }}
),

lead_counts as (
    select
        created_month_start_date as month_start_date,
        channel_group,
        count(*) as leads_created,
        0 as opportunities_created,
        0 as opportunities_won,
        0 as opportunities_won_without_amount,
        cast(null as decimal(18, 2)) as won_revenue
    from leads
    group by created_month_start_date, channel_group
),

opportunity_counts as (
    select
        created_month_start_date as month_start_date,
        channel_group,
        0 as leads_created,
        count(*) as opportunities_created,
        0 as opportunities_won,
        0 as opportunities_won_without_amount,
        cast(null as decimal(18, 2)) as won_revenue
    from opportunities
    group by created_month_start_date, channel_group
),

won_counts as (
    select
        closed_month_start_date as month_start_date,
        channel_group,
        0 as leads_created,
        0 as opportunities_created,
        count(*) as opportunities_won,
        count(case when amount is null then 1 end) as opportunities_won_without_amount,
        sum(amount) as won_revenue
    from opportunities
    where is_won
    group by closed_month_start_date, channel_group
),

measures as (
    select * from lead_counts
    union all
    select * from opportunity_counts
    union all
    select * from won_counts
),

final as (
    select
        month_start_date,
        channel_group,
        cast(sum(leads_created) as integer) as leads_created,
        cast(sum(opportunities_created) as integer) as opportunities_created,
        cast(sum(opportunities_won) as integer) as opportunities_won,
        cast(sum(opportunities_won_without_amount) as integer) as opportunities_won_without_amount,
        cast(sum(won_revenue) as decimal(18, 2)) as won_revenue
    from measures
    group by month_start_date, channel_group
)

select * from final
