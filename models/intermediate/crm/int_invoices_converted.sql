{#- Invoices with the amount converted to the reporting currency at the
    invoice date. -#}
with staged as (
    select * from {{ ref('stg_crm__invoices') }}
),

final as (
    select
        staged.invoice_id,
        staged.account_id,
        staged.order_id,
        staged.contract_id,
        staged.invoice_type,
        staged.invoice_date,
        staged.due_date,
        staged.amount_local,
        staged.currency_code,
        exchange_rates.exchange_rate,
        staged.invoice_date as conversion_date,
        {{ exchange_rate_coverage() }} as exchange_rate_coverage,
        {{ convert_currency('staged.amount_local', 'exchange_rates.exchange_rate') }} as amount,
        staged.updated_at,
        staged.loaded_at
    from staged
    {{ join_exchange_rate('staged.currency_code', 'staged.invoice_date') }}
)

select * from final
