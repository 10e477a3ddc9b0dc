{#- Incremental where the adapter can replace rows by key (macro
    keyed_incremental_materialization): a run reclassifies only the records that received
    a raw row since the newest loaded_at it holds (minus
    var incremental_lookback_minutes) and replaces them on the primary key
    (macros/incremental/staging_incremental.sql). -#}
{{ config(
    materialized=keyed_incremental_materialization(),
    unique_key='stage_history_id',
    incremental_strategy='delete+insert',
    on_schema_change='fail',
    post_hook=["{{ stg_delete_removed_records() }}"],
) }}

{%- set incremental = is_incremental() %}

with source as (
    {{ stg_crm_latest_rows('opportunity_stage_history', incremental, 'stage_history_id') }}
),

renamed as (
    select
        ---------- ids
        stage_history_id,
        opportunity_id,
        changed_by_rep_id,
        ---------- strings
        {{ map_through_seed('stage_name') }} as raw_stage_name,
        ---------- numerics
        cast(amount as decimal(18, 2)) as amount_local,
        ---------- dates and timestamps
        {{ to_utc_timestamp('entered_at') }} as entered_at,
        {{ stg_loaded_at(incremental) }} as loaded_at
    from source
)

select * from renamed
