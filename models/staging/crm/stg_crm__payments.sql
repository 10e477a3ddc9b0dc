with source as (
    {{ latest_versions(source('crm', 'payments'), 'payment_id', 'updated_at', 'is_deleted') }}
),

renamed as (
    select
        ---------- ids
        payment_id,
        invoice_id,
        account_id,
        ---------- strings
        upper(trim(currency_code)) as currency_code,
        payment_method,
        ---------- numerics
        cast(amount as decimal(18, 2)) as amount_local,
        ---------- dates and timestamps
        paid_date,
        {{ to_utc_timestamp('updated_at') }} as updated_at,
        _loaded_at as loaded_at
    from source
),

final as (
    select
        renamed.payment_id,
        renamed.invoice_id,
        renamed.account_id,
        renamed.paid_date,
        renamed.amount_local,
        renamed.currency_code,
        exchange_rates.exchange_rate,
        renamed.paid_date as conversion_date,
        {{ exchange_rate_coverage() }} as exchange_rate_coverage,
        {{ convert_currency('renamed.amount_local', 'exchange_rates.exchange_rate') }} as amount,
        renamed.payment_method,
        renamed.updated_at,
        renamed.loaded_at
    from renamed
    {{ join_exchange_rate('renamed.currency_code', 'renamed.paid_date') }}
)

select * from final
