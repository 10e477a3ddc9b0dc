{#- Incremental where the adapter can replace rows by key (macro
    keyed_incremental_materialization): a run reclassifies only the records that received
    a raw row since the newest loaded_at it holds (minus
    var incremental_lookback_minutes) and replaces them on the primary key
    (macros/incremental/staging_incremental.sql). -#}
{{ config(
    materialized=keyed_incremental_materialization(),
    unique_key='rep_id',
    incremental_strategy='delete+insert',
    on_schema_change='fail',
    post_hook=["{{ stg_delete_removed_records() }}"],
) }}

{%- set incremental = is_incremental() %}

with source as (
    {{ stg_crm_latest_rows('reps', incremental, 'rep_id', 'updated_at', 'is_deleted') }}
),

renamed as (
    select
        ---------- ids
        rep_id,
        team_id,
        manager_rep_id,
        ---------- strings
        {{ clean_text('rep_name') }} as rep_name,
        {{ normalize_email('email') }} as email,
        role,
        ---------- dates and timestamps
        hired_date,
        left_date,
        {{ to_utc_timestamp('updated_at') }} as updated_at,
        {{ stg_loaded_at(incremental) }} as loaded_at
    from source
),

final as (
    select
        *,
        ---------- booleans
        {{ is_valid_email('email') }} as is_valid_email
    from renamed
)

select * from final
