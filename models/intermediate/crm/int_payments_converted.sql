{#- Payments with the amount converted to the reporting currency at the
    paid date. -#}
with staged as (
    select * from {{ ref('stg_crm__payments') }}
),

final as (
    select
        staged.payment_id,
        staged.invoice_id,
        staged.account_id,
        staged.paid_date,
        staged.amount_local,
        staged.currency_code,
        exchange_rates.exchange_rate,
        staged.paid_date as conversion_date,
        {{ exchange_rate_coverage() }} as exchange_rate_coverage,
        {{ convert_currency('staged.amount_local', 'exchange_rates.exchange_rate') }} as amount,
        staged.payment_method,
        staged.updated_at,
        staged.loaded_at
    from staged
    {{ join_exchange_rate('staged.currency_code', 'staged.paid_date') }}
)

select * from final
