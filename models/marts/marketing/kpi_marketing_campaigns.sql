{#- M5 lifetime campaign performance up to the as-of date; one row per campaign. -#}
with as_of as (
    select * from {{ ref('int_as_of_date') }}
),

campaigns as (
    select * from {{ ref('dim_campaigns') }}
),

campaign_members as (
    select * from {{ ref('stg_crm__campaign_members') }}
),

outcomes as (
    select * from {{ ref('int_marketing_campaign_outcomes_to_date') }}
),

member_counts as (
    select
        campaign_members.campaign_id,
        count(*) as members,
        sum(
            case when cast(campaign_members.responded_at as date) <= as_of.as_of_date then 1 else 0 end
        ) as responses
    from campaign_members
    cross join as_of
    where cast(campaign_members.added_at as date) <= as_of.as_of_date
    group by campaign_members.campaign_id
),

joined as (
    select
        campaigns.campaign_id,
        campaigns.campaign_name,
        coalesce(campaigns.channel, 'unknown') as channel,
        coalesce(campaigns.channel_group, 'unknown') as channel_group,
        campaigns.start_date,
        campaigns.end_date,
        campaigns.start_date <= as_of.as_of_date
        and (campaigns.end_date is null or campaigns.end_date >= as_of.as_of_date) as is_active_on_as_of_date,
        cast({{ coalesce_if_present('campaign_members', 'member_counts.members') }} as integer) as members,
        cast({{ coalesce_if_present('campaign_members', 'member_counts.responses') }} as integer) as responses,
        cast({{ coalesce_if_present('leads', 'outcomes.leads_created') }} as integer) as leads_created,
        cast({{ coalesce_if_present('opportunities', 'outcomes.opportunities') }} as integer) as opportunities,
        cast({{ coalesce_if_present('opportunities', 'outcomes.opportunities_won') }} as integer) as opportunities_won,
        -- doc block unknown_amounts: 0 without won deals, null when none has a known amount
        {{ amount_total(
            'outcomes.campaign_revenue', 'outcomes.opportunities_won', entities='opportunities'
        ) }} as campaign_revenue,
        cast(
            {{ coalesce_if_present('opportunities', 'outcomes.opportunities_won_without_amount') }}
            as integer
        ) as opportunities_won_without_amount,
        cast({{ coalesce_if_present('opportunities', 'outcomes.new_customers') }} as integer) as new_customers,
        campaigns.cost_amount,
        campaigns.cost_amount_local,
        campaigns.currency_code
    from campaigns
    cross join as_of
    left join member_counts
        on campaigns.campaign_id = member_counts.campaign_id
    left join outcomes
        on campaigns.campaign_id = outcomes.campaign_id
),

final as (
    select
        campaign_id,
        campaign_name,
        channel,
        channel_group,
        start_date,
        end_date,
        is_active_on_as_of_date,
        members,
        responses,
        {{ safe_divide('responses', 'members') }} as response_rate,
        leads_created,
        opportunities,
        opportunities_won,
        campaign_revenue,
        opportunities_won_without_amount,
        new_customers,
        cost_amount,
        cost_amount_local,
        currency_code,
        {{ safe_divide('cost_amount', 'leads_created', 'decimal(18,2)') }} as cost_per_lead,
        {{ safe_divide('cost_amount', 'opportunities', 'decimal(18,2)') }} as cost_per_opportunity,
        {{ safe_divide('campaign_revenue - cost_amount', 'cost_amount') }} as return_on_investment
    from joined
)

select * from final
