{#- Quotes with the amount converted to the reporting currency at the
    quote's creation date. -#}
with staged as (
    select * from {{ ref('stg_crm__quotes') }}
),

final as (
    select
        staged.quote_id,
        staged.opportunity_id,
        staged.account_id,
        staged.status,
        staged.amount_local,
        staged.currency_code,
        exchange_rates.exchange_rate,
        cast(staged.created_at as date) as conversion_date,
        {{ exchange_rate_coverage() }} as exchange_rate_coverage,
        {{ convert_currency('staged.amount_local', 'exchange_rates.exchange_rate') }} as amount,
        staged.created_at,
        staged.sent_at,
        staged.accepted_at,
        staged.updated_at,
        staged.loaded_at
    from staged
    {{ join_exchange_rate('staged.currency_code', 'cast(staged.created_at as date)') }}
)

select * from final
