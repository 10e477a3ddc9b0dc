{#- Incremental where the adapter can replace rows by key (macro
    keyed_incremental_materialization): a run reclassifies only the records that received
    a raw row since the newest loaded_at it holds (minus
    var incremental_lookback_minutes) and replaces them on the primary key
    (macros/incremental/staging_incremental.sql). -#}
{{ config(
    materialized=keyed_incremental_materialization(),
    unique_key='case_id',
    incremental_strategy='delete+insert',
    on_schema_change='fail',
    post_hook=["{{ stg_delete_removed_records() }}"],
) }}

{%- set incremental = is_incremental() %}

with source as (
    {{ stg_crm_latest_rows('support_cases', incremental, 'case_id', 'updated_at', 'is_deleted') }}
),

renamed as (
    select
        ---------- ids
        case_id,
        account_id,
        contact_id,
        owner_rep_id,
        ---------- strings
        case_type,
        {{ map_through_seed('priority') }} as raw_priority,
        channel,
        status,
        ---------- numerics
        reopened_count,
        satisfaction_score,
        ---------- booleans
        sla_met as is_source_sla_met,
        ---------- dates and timestamps
        {{ to_utc_timestamp('opened_at') }} as opened_at,
        {{ to_utc_timestamp('first_response_at') }} as first_response_at,
        {{ to_utc_timestamp('resolved_at') }} as resolved_at,
        {{ to_utc_timestamp('closed_at') }} as closed_at,
        {{ to_utc_timestamp('updated_at') }} as updated_at,
        {{ stg_loaded_at(incremental) }} as loaded_at
    from source
)

select * from renamed
