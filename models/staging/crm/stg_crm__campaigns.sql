with source as (
    select * from {{ ref('base_crm__campaigns') }}
    where is_latest_version and not is_deleted_version
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
)

select * from renamed
