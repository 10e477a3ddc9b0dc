{#- Incremental where the adapter can replace rows by key (macro
    keyed_incremental_materialization): a run reclassifies only the records that received
    a raw row since the newest loaded_at it holds (minus
    var incremental_lookback_minutes) and replaces them on the primary key
    (macros/incremental/staging_incremental.sql). -#}
{{ config(
    materialized=keyed_incremental_materialization(),
    unique_key='payment_id',
    incremental_strategy='delete+insert',
    on_schema_change='fail',
    post_hook=["{{ stg_delete_removed_records() }}"],
) }}

{%- set incremental = is_incremental() %}

with source as (
    {{ stg_crm_latest_rows('payments', incremental, 'payment_id', 'updated_at', 'is_deleted') }}
),

renamed as (
    select
        ---------- ids
        payment_id,
        invoice_id,
        account_id,
        ---------- strings
        upper(trim(currency_code)) as currency_code,
        payment_method,
        ---------- numerics
        cast(amount as decimal(18, 2)) as amount_local,
        ---------- dates and timestamps
        paid_date,
        {{ to_utc_timestamp('updated_at') }} as updated_at,
        {{ stg_loaded_at(incremental) }} as loaded_at
    from source
)

select * from renamed
