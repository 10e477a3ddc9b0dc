with source as (
    {{ latest_versions(source('crm', 'invoices'), 'invoice_id', 'updated_at', 'is_deleted') }}
),

renamed as (
    select
        ---------- ids
        invoice_id,
        account_id,
        order_id,
        contract_id,
        ---------- strings
        invoice_type,
        upper(trim(currency_code)) as currency_code,
        ---------- numerics
        cast(amount as decimal(18, 2)) as amount_local,
        ---------- dates and timestamps
        invoice_date,
        due_date,
        {{ to_utc_timestamp('updated_at') }} as updated_at,
        _loaded_at as loaded_at
    from source
),

final as (
    select
        renamed.invoice_id,
        renamed.account_id,
        renamed.order_id,
        renamed.contract_id,
        renamed.invoice_type,
        renamed.invoice_date,
        renamed.due_date,
        renamed.amount_local,
        renamed.currency_code,
        exchange_rates.exchange_rate,
        renamed.invoice_date as conversion_date,
        {{ exchange_rate_coverage() }} as exchange_rate_coverage,
        {{ convert_currency('renamed.amount_local', 'exchange_rates.exchange_rate') }} as amount,
        renamed.updated_at,
        renamed.loaded_at
    from renamed
    {{ join_exchange_rate('renamed.currency_code', 'renamed.invoice_date') }}
)

select * from final
