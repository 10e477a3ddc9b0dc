{#- Incremental where the adapter can replace rows by key (macro
    keyed_incremental_materialization): a run reclassifies only the records that received
    a raw row since the newest loaded_at it holds (minus
    var incremental_lookback_minutes) and replaces them on the primary key
    (macros/incremental/staging_incremental.sql). -#}
{{ config(
    materialized=keyed_incremental_materialization(),
    unique_key='opportunity_id',
    incremental_strategy='delete+insert',
    on_schema_change='fail',
    post_hook=["{{ stg_delete_removed_records() }}"],
) }}

{%- set incremental = is_incremental() %}

with source as (
    {{ stg_crm_latest_rows('opportunities', incremental, 'opportunity_id', 'updated_at', 'is_deleted') }}
),

renamed as (
    select
        ---------- ids
        opportunity_id,
        account_id,
        owner_rep_id,
        partner_id,
        campaign_id,
        lead_id,
        product_id,
        ---------- strings
        {{ clean_text('opportunity_name') }} as opportunity_name,
        opportunity_type,
        {{ map_through_seed('stage_name') }} as raw_stage_name,
        upper(trim(currency_code)) as currency_code,
        {{ clean_text('win_reason') }} as win_reason,
        {{ clean_text('loss_reason') }} as loss_reason,
        ---------- numerics
        cast(amount as decimal(18, 2)) as amount_local,
        ---------- dates and timestamps
        {{ to_utc_timestamp('created_at') }} as created_at,
        expected_close_date,
        {{ to_utc_timestamp('closed_at') }} as closed_at,
        {{ to_utc_timestamp('updated_at') }} as updated_at,
        {{ stg_loaded_at(incremental) }} as loaded_at
    from source
)

select * from renamed
