with source as (
    select * from {{ ref('base_crm__payments') }}
    where is_latest_version and not is_deleted_version
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
)

select * from renamed
