with source as (
    select * from {{ ref('base_crm__contacts') }}
    where is_latest_version and not is_deleted_version
),

renamed as (
    select
        ---------- ids
        contact_id,
        account_id,
        ---------- strings
        {{ clean_text('first_name') }} as first_name,
        {{ clean_text('last_name') }} as last_name,
        {{ normalize_email('email') }} as email,
        {{ normalize_phone('phone') }} as phone,
        {{ is_valid_phone('phone') }} as is_valid_phone,
        {{ clean_text('title') }} as title,
        ---------- dates and timestamps
        {{ to_utc_timestamp('created_at') }} as created_at,
        {{ to_utc_timestamp('updated_at') }} as updated_at,
        _loaded_at as loaded_at
    from source
),

final as (
    select
        *,
        ---------- booleans
        {{ is_valid_email('email') }} as is_valid_email
    from renamed
)

select * from final
