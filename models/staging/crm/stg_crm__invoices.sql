with source as (
    select * from {{ ref('base_crm__invoices') }}
    where is_latest_version and not is_deleted_version
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
)

select * from renamed
