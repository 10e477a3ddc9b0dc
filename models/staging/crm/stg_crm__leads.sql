with source as (
    select * from {{ ref('base_crm__leads') }}
    where is_latest_version and not is_deleted_version
),

renamed as (
    select
        ---------- ids
        lead_id,
        campaign_id,
        owner_rep_id,
        converted_account_id,
        converted_contact_id,
        converted_opportunity_id,
        {{ clean_text('form_id') }} as form_id,
        ---------- strings
        {{ clean_text('first_name') }} as first_name,
        {{ clean_text('last_name') }} as last_name,
        {{ normalize_email('email') }} as email,
        {{ normalize_phone('phone') }} as phone,
        {{ is_valid_phone('phone') }} as is_valid_phone,
        {{ clean_text('company_name') }} as company_name,
        -- as exported (trimmed): int_leads_mapped matches the seed on its lower-cased form
        {{ clean_text('lead_source') }} as raw_lead_source,
        status,
        ---------- dates and timestamps
        {{ to_utc_timestamp('submitted_at') }} as submitted_at,
        {{ to_utc_timestamp('created_at') }} as created_at,
        {{ to_utc_timestamp('qualified_at') }} as qualified_at,
        {{ to_utc_timestamp('converted_at') }} as converted_at,
        {{ to_utc_timestamp('updated_at') }} as updated_at,
        _loaded_at as loaded_at
    from source
),

validated as (
    select
        *,
        {{ is_valid_email('email') }} as is_valid_email
    from renamed
)

select * from validated
