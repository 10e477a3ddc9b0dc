with source as (
    select * from {{ ref('base_crm__accounts') }}
    where is_latest_version and not is_deleted_version
),

renamed as (
    select
        ---------- ids
        account_id,
        owner_rep_id,
        partner_id,
        ---------- strings
        {{ clean_text('account_name') }} as account_name,
        {{ clean_text('industry') }} as industry,
        {{ clean_text('country') }} as country,
        {{ clean_text('region') }} as region,
        ---------- numerics
        employee_count,
        ---------- dates and timestamps
        {{ to_utc_timestamp('created_at') }} as created_at,
        {{ to_utc_timestamp('updated_at') }} as updated_at,
        _loaded_at as loaded_at
    from source
)

select * from renamed
