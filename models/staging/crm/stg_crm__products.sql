with source as (
    select * from {{ ref('base_crm__products') }}
    where is_latest_version and not is_deleted_version
),

renamed as (
    select
        ---------- ids
        product_id,
        ---------- strings
        {{ clean_text('product_name') }} as product_name,
        {{ clean_text('product_family') }} as product_family,
        upper(trim(currency_code)) as currency_code,
        ---------- numerics
        tier,
        cast(list_price as decimal(18, 2)) as list_price_local,
        cast(unit_cost as decimal(18, 2)) as unit_cost_local,
        ---------- dates and timestamps
        {{ to_utc_timestamp('updated_at') }} as updated_at,
        _loaded_at as loaded_at
    from source
)

select * from renamed
