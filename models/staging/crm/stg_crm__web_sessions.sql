{#- Incremental where the adapter can replace rows by key (macro
    keyed_incremental_materialization): a run reclassifies only the records that received
    a raw row since the newest loaded_at it holds (minus
    var incremental_lookback_minutes) and replaces them on the primary key
    (macros/incremental/staging_incremental.sql). -#}
{{ config(
    materialized=keyed_incremental_materialization(),
    unique_key='session_id',
    incremental_strategy='delete+insert',
    on_schema_change='fail',
    post_hook=["{{ stg_delete_removed_records() }}"],
) }}

{%- set incremental = is_incremental() %}

with source as (
    {{ stg_crm_latest_rows('web_sessions', incremental, 'session_id') }}
),

renamed as (
    select
        ---------- ids
        session_id,
        visitor_id,
        lead_id,
        ---------- strings
        {{ map_through_seed('traffic_source') }} as traffic_source,
        {{ clean_text('landing_page') }} as landing_page,
        ---------- numerics
        duration_seconds,
        page_views,
        ---------- booleans
        goal_completed as is_goal_completed,
        ---------- dates and timestamps
        {{ to_utc_timestamp('started_at') }} as started_at,
        {{ stg_loaded_at(incremental) }} as loaded_at
    from source
)

select * from renamed
