with source as (
    {{ latest_versions(source('crm', 'leads'), 'lead_id', 'updated_at', 'is_deleted') }}
),

lead_sources as (
    select * from {{ ref('stg_reference__lead_sources') }}
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
        -- as exported (trimmed): the seed is matched on its lower-cased form below
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

final as (
    select
        renamed.lead_id,
        renamed.first_name,
        renamed.last_name,
        renamed.email,
        {{ is_valid_email('renamed.email') }} as is_valid_email,
        renamed.phone,
        renamed.is_valid_phone,
        renamed.company_name,
        lead_sources.lead_source,
        lead_sources.channel_group,
        renamed.raw_lead_source,
        renamed.form_id,
        renamed.submitted_at,
        renamed.campaign_id,
        renamed.owner_rep_id,
        renamed.status,
        renamed.created_at,
        renamed.qualified_at,
        renamed.converted_at,
        renamed.converted_account_id,
        renamed.converted_contact_id,
        renamed.converted_opportunity_id,
        renamed.updated_at,
        renamed.loaded_at
    from renamed
    left join lead_sources
        on {{ map_through_seed('renamed.raw_lead_source') }} = lead_sources.raw_lead_source
)

select * from final
