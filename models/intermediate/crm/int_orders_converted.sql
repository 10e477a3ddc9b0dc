{#- Orders with their exchange rate at the order date (their lines are
    converted at it in int_order_lines_converted). -#}
with staged as (
    select * from {{ ref('stg_crm__orders') }}
),

final as (
    select
        staged.order_id,
        staged.account_id,
        staged.opportunity_id,
        staged.quote_id,
        staged.status,
        staged.currency_code,
        exchange_rates.exchange_rate,
        cast(staged.ordered_at as date) as conversion_date,
        {{ exchange_rate_coverage() }} as exchange_rate_coverage,
        staged.ordered_at,
        staged.promised_date,
        staged.delivered_date,
        staged.updated_at,
        staged.loaded_at
    from staged
    {{ join_exchange_rate('staged.currency_code', 'cast(staged.ordered_at as date)') }}
)

select * from final
