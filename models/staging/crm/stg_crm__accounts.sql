{#- Incremental where the adapter can replace rows by key (macro
    keyed_incremental_materialization): a run reclassifies only the records that received
    a raw row since the newest loaded_at it holds (minus
    var incremental_lookback_minutes) and replaces them on the primary key
    (macros/incremental/staging_incremental.sql). -#}
{{ config(
    materialized=keyed_incremental_materialization(),
    unique_key='account_id',
    incremental_strategy='delete+insert',
    on_schema_change='fail',
    post_hook=["{{ stg_delete_removed_records() }}"],
) }}

{%- set incremental = is_incremental() %}

with source as (
    {{ stg_crm_latest_rows('accounts', incremental, 'account_id', 'updated_at', 'is_deleted') }}
),

renamed as (
    select
        ---------- ids
        account_id,
        owner_rep_id,
        partner_id,
        ---------- strings
        {{ clean_text('account_name') }} as account_name,
        {{ clean_text('industry') }} as industry,
        {{ clean_text('country') }} as country,
        {{ clean_text('region') }} as region,
        ---------- numerics
        employee_count,
        ---------- dates and timestamps
        {{ to_utc_timestamp('created_at') }} as created_at,
        {{ to_utc_timestamp('updated_at') }} as updated_at,
        {{ stg_loaded_at(incremental) }} as loaded_at
    from source
)

select * from renamed
