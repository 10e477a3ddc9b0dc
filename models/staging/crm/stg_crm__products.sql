with source as (
    {{ latest_versions(source('crm', 'products'), 'product_id', 'updated_at', 'is_deleted') }}
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
),

final as (
    select
        renamed.product_id,
        renamed.product_name,
        renamed.product_family,
        renamed.tier,
        renamed.list_price_local,
        renamed.unit_cost_local,
        renamed.currency_code,
        exchange_rates.exchange_rate,
        cast(renamed.updated_at as date) as conversion_date,
        {{ exchange_rate_coverage() }} as exchange_rate_coverage,
        {{ convert_currency('renamed.list_price_local', 'exchange_rates.exchange_rate') }} as list_price,
        {{ convert_currency('renamed.unit_cost_local', 'exchange_rates.exchange_rate') }} as unit_cost,
        renamed.updated_at,
        renamed.loaded_at
    from renamed
    {{ join_exchange_rate('renamed.currency_code', 'cast(renamed.updated_at as date)') }}
)

select * from final
