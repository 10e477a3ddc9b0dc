with campaigns as (
    select * from {{ ref('int_campaigns_converted') }}
),

final as (
    select
        campaign_id,
        campaign_name,
        channel,
        channel_group,
        raw_channel,
        cost_amount,
        cost_amount_local,
        currency_code,
        start_date,
        end_date
    from campaigns
)

select * from final
