{#- Incremental where the adapter can replace rows by key (macro
    keyed_incremental_materialization): a run reclassifies only the records that received
    a raw row since the newest loaded_at it holds (minus
    var incremental_lookback_minutes) and replaces them on the primary key
    (macros/incremental/staging_incremental.sql). -#}
{{ config(
    materialized=keyed_incremental_materialization(),
    unique_key='campaign_member_id',
    incremental_strategy='delete+insert',
    on_schema_change='fail',
    post_hook=["{{ stg_delete_removed_records() }}"],
) }}

{%- set incremental = is_incremental() %}

with source as (
    {{ stg_crm_latest_rows('campaign_members', incremental, 'campaign_member_id', 'updated_at') }}
),

renamed as (
    select
        ---------- ids
        campaign_member_id,
        campaign_id,
        lead_id,
        contact_id,
        ---------- strings
        case
            when lead_id is not null then 'lead'
            when contact_id is not null then 'contact'
        end as member_type,
        ---------- booleans
        responded_at is not null as has_responded,
        ---------- dates and timestamps
        {{ to_utc_timestamp('added_at') }} as added_at,
        {{ to_utc_timestamp('sent_at') }} as sent_at,
        {{ to_utc_timestamp('responded_at') }} as responded_at,
        {{ to_utc_timestamp('updated_at') }} as updated_at,
        {{ stg_loaded_at(incremental) }} as loaded_at
    from source
)

select * from renamed
