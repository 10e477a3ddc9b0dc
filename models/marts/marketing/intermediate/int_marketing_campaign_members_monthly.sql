{#- M5: campaign members by the month they were added and campaign channel,
    and how many of them responded (whenever they did: a cohort). -#}
with campaign_members as (
    select * from {{ ref('stg_crm__campaign_members') }}
),

campaigns as (
    select
        campaign_id,
        coalesce(channel, 'unknown') as channel
    from {{ ref('dim_campaigns') }}
),

final as (
    select
        cast({{ dbt.date_trunc('month', 'campaign_members.added_at') }} as date) as month_start_date,
        campaigns.channel,
        cast(count(*) as integer) as members_added,
        cast(sum(case when campaign_members.responded_at is not null then 1 else 0 end) as integer)
            as members_responded
    from campaign_members
    inner join campaigns
        on campaign_members.campaign_id = campaigns.campaign_id
    group by
        cast({{ dbt.date_trunc('month', 'campaign_members.added_at') }} as date),
        campaigns.channel
)

select * from final
