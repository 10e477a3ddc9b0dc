with source as (
    select * from {{ ref('base_crm__quotes') }}
    where is_latest_version and not is_deleted_version
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
)

select * from renamed
