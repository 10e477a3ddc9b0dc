with products as (
    select * from {{ ref('int_products_converted') }}
),

final as (
    select
        product_id,
        product_name,
        product_family,
        tier,
        list_price,
        unit_cost,
        list_price_local,
        unit_cost_local,
        currency_code
    from products
)

select * from final
