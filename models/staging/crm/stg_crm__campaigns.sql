with source as (
    {{ latest_versions(source('crm', 'campaigns'), 'campaign_id', 'updated_at', 'is_deleted') }}
),

campaign_channels as (
    select * from {{ ref('campaign_channels') }}
),

renamed as (
    select
        ---------- ids
        campaign_id,
        ---------- strings
        {{ clean_text('campaign_name') }} as campaign_name,
        {{ map_through_seed('channel') }} as raw_channel,
        upper(trim(currency_code)) as currency_code,
        ---------- numerics
        cast(cost_amount as decimal(18, 2)) as cost_amount_local,
        ---------- dates and timestamps
        start_date,
        end_date,
        {{ to_utc_timestamp('updated_at') }} as updated_at,
        _loaded_at as loaded_at
    from source
),

final as (
    select
        renamed.campaign_id,
        renamed.campaign_name,
        campaign_channels.channel,
        campaign_channels.channel_group,
        renamed.raw_channel,
        renamed.cost_amount_local,
        renamed.currency_code,
        exchange_rates.exchange_rate,
        renamed.start_date as conversion_date,
        {{ exchange_rate_coverage() }} as exchange_rate_coverage,
        {{ convert_currency('renamed.cost_amount_local', 'exchange_rates.exchange_rate') }} as cost_amount,
        renamed.start_date,
        renamed.end_date,
        renamed.updated_at,
        renamed.loaded_at
    from renamed
    left join campaign_channels
        on renamed.raw_channel = campaign_channels.raw_channel
    {{ join_exchange_rate('renamed.currency_code', 'renamed.start_date') }}
)

select * from final
