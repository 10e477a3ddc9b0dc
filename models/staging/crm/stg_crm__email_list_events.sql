{#- Incremental where the adapter can replace rows by key (macro
    keyed_incremental_materialization): a run reclassifies only the records that received
    a raw row since the newest loaded_at it holds (minus
    var incremental_lookback_minutes) and replaces them on the primary key
    (macros/incremental/staging_incremental.sql). -#}
{{ config(
    materialized=keyed_incremental_materialization(),
    unique_key='event_id',
    incremental_strategy='delete+insert',
    on_schema_change='fail',
    post_hook=["{{ stg_delete_removed_records() }}"],
) }}

{%- set incremental = is_incremental() %}

with source as (
    {{ stg_crm_latest_rows('email_list_events', incremental, 'event_id') }}
),

renamed as (
    select
        ---------- ids
        event_id,
        {{ clean_text('list_id') }} as list_id,
        ---------- strings
        {{ normalize_email('subscriber_email') }} as subscriber_email,
        event_type,
        ---------- dates and timestamps
        {{ to_utc_timestamp('occurred_at') }} as occurred_at,
        {{ stg_loaded_at(incremental) }} as loaded_at
    from source
),

final as (
    select
        *,
        ---------- booleans
        {{ is_valid_email('subscriber_email') }} as is_valid_email
    from renamed
)

select * from final
