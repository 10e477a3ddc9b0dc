with source as (
    select * from {{ ref('base_crm__orders') }}
    where is_latest_version and not is_deleted_version
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
)

select * from renamed
