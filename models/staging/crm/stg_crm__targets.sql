{#- Incremental where the adapter can replace rows by key (macro
    keyed_incremental_materialization): a run reclassifies only the records that received
    a raw row since the newest loaded_at it holds (minus
    var incremental_lookback_minutes) and replaces them on the primary key
    (macros/incremental/staging_incremental.sql). -#}
{{ config(
    materialized=keyed_incremental_materialization(),
    unique_key='target_id',
    incremental_strategy='delete+insert',
    on_schema_change='fail',
    post_hook=["{{ stg_delete_removed_records() }}"],
) }}

{%- set incremental = is_incremental() %}

with source as (
    {{ stg_crm_latest_rows('targets', incremental, 'target_id', 'updated_at') }}
),

renamed as (
    select
        ---------- ids
        target_id,
        rep_id,
        team_id,
        ---------- strings
        case
            when rep_id is not null then 'rep'
            when team_id is not null then 'team'
            when lead_source is not null then 'lead_source'
        end as target_level,
        {{ map_through_seed('lead_source') }} as raw_lead_source,
        metric,
        ---------- numerics
        cast(target_value as decimal(18, 2)) as target_value,
        ---------- dates and timestamps
        cast({{ dbt.date_trunc('month', 'target_month') }} as date) as target_month,
        {{ to_utc_timestamp('updated_at') }} as updated_at,
        {{ stg_loaded_at(incremental) }} as loaded_at
    from source
)

select * from renamed
