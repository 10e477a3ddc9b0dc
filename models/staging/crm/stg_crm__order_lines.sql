with source as (
    select * from {{ ref('base_crm__order_lines') }}
    where is_latest_version and not is_deleted_version
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
        _loaded_at as loaded_at
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
