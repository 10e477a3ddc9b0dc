{#- Incremental where the adapter can replace rows by key (macro
    keyed_incremental_materialization): a run reclassifies only the records that received
    a raw row since the newest loaded_at it holds (minus
    var incremental_lookback_minutes) and replaces them on the primary key
    (macros/incremental/staging_incremental.sql). -#}
{{ config(
    materialized=keyed_incremental_materialization(),
    unique_key='order_line_id',
    incremental_strategy='delete+insert',
    on_schema_change='fail',
    post_hook=["{{ stg_delete_removed_records() }}"],
) }}

{%- set incremental = is_incremental() %}

with source as (
    {{ stg_crm_latest_rows('order_lines', incremental, 'order_line_id', 'updated_at') }}
),

renamed as (
    select
        ---------- ids
        order_line_id,
        order_id,
        product_id,
        ---------- numerics
        quantity,
        cast(unit_price as decimal(18, 2)) as unit_price_local,
        ---------- dates and timestamps
        {{ to_utc_timestamp('updated_at') }} as updated_at,
        {{ stg_loaded_at(incremental) }} as loaded_at
    from source
),

-- lines carry no currency: prices are in the order's currency (int_order_lines_converted)
priced as (
    select
        *,
        cast(quantity * unit_price_local as decimal(18, 2)) as line_amount_local
    from renamed
)

select * from priced
