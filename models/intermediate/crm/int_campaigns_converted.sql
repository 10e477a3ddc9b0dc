{#- Campaigns with the channel and channel group of the campaign_channels
    seed and the cost converted to the reporting currency at the start date. -#}
with staged as (
    select * from {{ ref('stg_crm__campaigns') }}
),

campaign_channels as (
    select * from {{ ref('campaign_channels') }}
),

final as (
    select
        staged.campaign_id,
        staged.campaign_name,
        campaign_channels.channel,
        campaign_channels.channel_group,
        staged.raw_channel,
        staged.cost_amount_local,
        staged.currency_code,
        exchange_rates.exchange_rate,
        staged.start_date as conversion_date,
        {{ exchange_rate_coverage() }} as exchange_rate_coverage,
        {{ convert_currency('staged.cost_amount_local', 'exchange_rates.exchange_rate') }} as cost_amount,
        staged.start_date,
        staged.end_date,
        staged.updated_at,
        staged.loaded_at
    from staged
    left join campaign_channels
        on staged.raw_channel = campaign_channels.raw_channel
    {{ join_exchange_rate('staged.currency_code', 'staged.start_date') }}
)

select * from final
