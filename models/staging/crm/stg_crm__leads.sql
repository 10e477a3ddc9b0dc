{#- Incremental where the adapter can replace rows by key (macro
    keyed_incremental_materialization): a run reclassifies only the records that received
    a raw row since the newest loaded_at it holds (minus
    var incremental_lookback_minutes) and replaces them on the primary key
    (macros/incremental/staging_incremental.sql). -#}
{{ config(
    materialized=keyed_incremental_materialization(),
    unique_key='lead_id',
    incremental_strategy='delete+insert',
    on_schema_change='fail',
    post_hook=["{{ stg_delete_removed_records() }}"],
) }}

{%- set incremental = is_incremental() %}

with source as (
    {{ stg_crm_latest_rows('leads', incremental, 'lead_id', 'updated_at', 'is_deleted') }}
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
        {{ stg_loaded_at(incremental) }} as loaded_at
    from source
),

validated as (
    select
        *,
        {{ is_valid_email('email') }} as is_valid_email
    from renamed
)

select * from validated
