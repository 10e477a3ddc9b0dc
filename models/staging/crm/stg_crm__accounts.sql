with source as (
    {{ latest_versions(source('crm', 'accounts'), 'account_id', 'updated_at', 'is_deleted') }}
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
