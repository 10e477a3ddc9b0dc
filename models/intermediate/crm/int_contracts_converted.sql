{#- Contracts with the contract value converted to the reporting currency
    at the start date. -#}
with staged as (
    select * from {{ ref('stg_crm__contracts') }}
),

final as (
    select
        staged.contract_id,
        staged.account_id,
        staged.order_id,
        staged.renewal_of_contract_id,
        staged.status,
        staged.contract_value_local,
        staged.currency_code,
        exchange_rates.exchange_rate,
        staged.start_date as conversion_date,
        {{ exchange_rate_coverage() }} as exchange_rate_coverage,
        {{ convert_currency('staged.contract_value_local', 'exchange_rates.exchange_rate') }} as contract_value,
        staged.start_date,
        staged.end_date,
        staged.signed_at,
        staged.updated_at,
        staged.loaded_at
    from staged
    {{ join_exchange_rate('staged.currency_code', 'staged.start_date') }}
)

select * from final
