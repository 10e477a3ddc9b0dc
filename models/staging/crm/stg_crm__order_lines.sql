with source as (
    {{ latest_versions(source('crm', 'order_lines'), 'order_line_id', 'updated_at') }}
),

-- lines carry no currency: prices are in the order's currency, converted at the order date
orders as (
    select
        order_id,
        currency_code,
        exchange_rate
    from {{ ref('stg_crm__orders') }}
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

converted as (
    select
        renamed.order_line_id,
        renamed.order_id,
        renamed.product_id,
        renamed.quantity,
        renamed.unit_price_local,
        cast(renamed.quantity * renamed.unit_price_local as decimal(18, 2)) as line_amount_local,
        orders.currency_code,
        orders.exchange_rate,
        {{ convert_currency('renamed.unit_price_local', 'orders.exchange_rate') }} as unit_price,
        renamed.updated_at,
        renamed.loaded_at
    from renamed
    left join orders
        on renamed.order_id = orders.order_id
),

final as (
    select
        *,
        cast(quantity * unit_price as decimal(18, 2)) as line_amount
    from converted
)

select * from final
