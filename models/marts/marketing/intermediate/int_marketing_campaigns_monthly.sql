{#- M4, M5: campaigns by month and campaign channel (with its channel group):
    the campaigns running at some point of the month (months of the spine)
    and the campaigns started in the month with their cost. Read by
    kpi_marketing_campaigns_monthly (by channel) and
    kpi_marketing_channel_groups_monthly (by channel group). -#}
with months as (
    select * from {{ ref('int_months') }}
),

campaigns as (
    select
        campaign_id,
        coalesce(channel, 'unknown') as channel,
        coalesce(channel_group, 'unknown') as channel_group,
        cost_amount,
        start_date,
        end_date
    from {{ ref('dim_campaigns') }}
),

active_campaigns as (
    select
        months.month_start_date,
        campaigns.channel,
        campaigns.channel_group,
        count(*) as campaigns_active,
        0 as campaigns_started,
        0 as campaigns_started_without_cost,
        cast(null as decimal(18, 2)) as campaign_cost
    from months
    inner join campaigns
        on
            months.month_end_date >= campaigns.start_date
            and (campaigns.end_date is null or months.month_start_date <= campaigns.end_date)
    group by months.month_start_date, campaigns.channel, campaigns.channel_group
),

campaign_starts as (
    select
        cast({{ dbt.date_trunc('month', 'start_date') }} as date) as month_start_date,
        channel,
        channel_group,
        0 as campaigns_active,
        count(*) as campaigns_started,
        count(case when cost_amount is null then 1 end) as campaigns_started_without_cost,
        sum(cost_amount) as campaign_cost
    from campaigns
    group by cast({{ dbt.date_trunc('month', 'start_date') }} as date), channel, channel_group
),

measures as (
    select * from active_campaigns
    union all
    select * from campaign_starts
),

final as (
    select
        month_start_date,
        channel,
        channel_group,
        cast(sum(campaigns_active) as integer) as campaigns_active,
        cast(sum(campaigns_started) as integer) as campaigns_started,
        cast(sum(campaigns_started_without_cost) as integer) as campaigns_started_without_cost,
        cast(sum(campaign_cost) as decimal(18, 2)) as campaign_cost
    from measures
    group by month_start_date, channel, channel_group
)

select * from final
