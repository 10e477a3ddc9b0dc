with source as (
    {{ latest_versions(source('crm', 'quotes'), 'quote_id', 'updated_at', 'is_deleted') }}
),

renamed as (
    select
        ---------- ids
        quote_id,
        opportunity_id,
        account_id,
        ---------- strings
        status,
        upper(trim(currency_code)) as currency_code,
        ---------- numerics
        cast(amount as decimal(18, 2)) as amount_local,
        ---------- dates and timestamps
        {{ to_utc_timestamp('created_at') }} as created_at,
        {{ to_utc_timestamp('sent_at') }} as sent_at,
        {{ to_utc_timestamp('accepted_at') }} as accepted_at,
        {{ to_utc_timestamp('updated_at') }} as updated_at,
        _loaded_at as loaded_at
    from source
),

final as (
    select
        renamed.quote_id,
        renamed.opportunity_id,
        renamed.account_id,
        renamed.status,
        renamed.amount_local,
        renamed.currency_code,
        exchange_rates.exchange_rate,
        cast(renamed.created_at as date) as conversion_date,
        {{ exchange_rate_coverage() }} as exchange_rate_coverage,
        {{ convert_currency('renamed.amount_local', 'exchange_rates.exchange_rate') }} as amount,
        renamed.created_at,
        renamed.sent_at,
        renamed.accepted_at,
        renamed.updated_at,
        renamed.loaded_at
    from renamed
    {{ join_exchange_rate('renamed.currency_code', 'cast(renamed.created_at as date)') }}
)

select * from final
