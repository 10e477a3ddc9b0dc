with source as (
    {{ latest_versions(source('crm', 'orders'), 'order_id', 'updated_at', 'is_deleted') }}
),

renamed as (
    select
        ---------- ids
        order_id,
        account_id,
        opportunity_id,
        quote_id,
        ---------- strings
        status,
        upper(trim(currency_code)) as currency_code,
        ---------- dates and timestamps
        {{ to_utc_timestamp('ordered_at') }} as ordered_at,
        promised_date,
        delivered_date,
        {{ to_utc_timestamp('updated_at') }} as updated_at,
        _loaded_at as loaded_at
    from source
),

final as (
    select
        renamed.order_id,
        renamed.account_id,
        renamed.opportunity_id,
        renamed.quote_id,
        renamed.status,
        renamed.currency_code,
        exchange_rates.exchange_rate,
        cast(renamed.ordered_at as date) as conversion_date,
        {{ exchange_rate_coverage() }} as exchange_rate_coverage,
        renamed.ordered_at,
        renamed.promised_date,
        renamed.delivered_date,
        renamed.updated_at,
        renamed.loaded_at
    from renamed
    {{ join_exchange_rate('renamed.currency_code', 'cast(renamed.ordered_at as date)') }}
)

select * from final
