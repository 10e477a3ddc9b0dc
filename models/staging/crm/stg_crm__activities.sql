{#- Incremental where the adapter can replace rows by key (macro
    keyed_incremental_materialization): a run reclassifies only the records that received
    a raw row since the newest loaded_at it holds (minus
    var incremental_lookback_minutes) and replaces them on the primary key
    (macros/incremental/staging_incremental.sql). -#}
{{ config(
    materialized=keyed_incremental_materialization(),
    unique_key='activity_id',
    incremental_strategy='delete+insert',
    on_schema_change='fail',
    post_hook=["{{ stg_delete_removed_records() }}"],
) }}

{%- set incremental = is_incremental() %}

with source as (
    {{ stg_crm_latest_rows('activities', incremental, 'activity_id', 'updated_at', 'is_deleted') }}
),

renamed as (
    select
        ---------- ids
        activity_id,
        rep_id,
        account_id,
        contact_id,
        lead_id,
        opportunity_id,
        case_id,
        ---------- strings
        activity_type,
        purpose,
        direction,
        outcome,
        {{ clean_text('subject') }} as subject,
        ---------- numerics
        queue_wait_seconds,
        talk_seconds,
        hold_seconds,
        wrap_seconds,
        ---------- dates and timestamps
        {{ to_utc_timestamp('scheduled_at') }} as scheduled_at,
        {{ to_utc_timestamp('completed_at') }} as completed_at,
        {{ to_utc_timestamp('created_at') }} as created_at,
        {{ to_utc_timestamp('updated_at') }} as updated_at,
        {{ stg_loaded_at(incremental) }} as loaded_at
    from source
)

select * from renamed
