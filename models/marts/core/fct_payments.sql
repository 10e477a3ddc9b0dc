{#- One row per payment, converted into its invoice's currency at the paid
    date and allocated to the invoice in payment order: the part that settles
    the invoice (applied) and the rest (unapplied: an overpayment). Book value
    of the applied part at the invoice's own rate, FX difference beside it. -#}
with payments as (
    select * from {{ ref('int_payments_converted') }}
),

invoices as (
    select * from {{ ref('int_invoices_converted') }}
),

accounts as (
    select * from {{ ref('dim_accounts') }}
),

converted as (
    select
        payments.payment_id,
        payments.invoice_id,
        coalesce(payments.account_id, invoices.account_id) as account_id,
        payments.paid_date,
        payments.payment_method,
        payments.amount_local,
        payments.currency_code,
        payments.exchange_rate,
        payments.amount,
        invoices.invoice_id is not null as is_invoice_known,
        invoices.invoice_type,
        invoices.invoice_date,
        invoices.due_date,
        invoices.currency_code as invoice_currency_code,
        invoices.amount_local as invoice_amount_local,
        invoices.amount as invoice_amount,
        invoices.exchange_rate as invoice_exchange_rate,
        invoice_rates.exchange_rate as invoice_currency_rate_at_payment,
        cast(
            case
                when invoices.invoice_id is null then null
                when payments.currency_code = invoices.currency_code then payments.amount_local
                else
                    {{ safe_divide(
                        'payments.amount_local * cast(payments.exchange_rate as decimal(38, 10))',
                        'invoice_rates.exchange_rate',
                        'decimal(28,10)'
                    ) }}
            end as decimal(18, 2)
        ) as amount_invoice_currency
    from payments
    left join invoices
        on payments.invoice_id = invoices.invoice_id
    {{ join_exchange_rate('invoices.currency_code', 'payments.paid_date', 'invoice_rates') }}
),

cumulated as (
    select
        *,
        sum(coalesce(amount_invoice_currency, 0)) over (
            partition by invoice_id
            order by paid_date, payment_id
            rows between unbounded preceding and current row
        ) as paid_to_date_local
    from converted
),

clamped as (
    {#- settled(x): the part of x cumulated payments that settles the invoice,
        between 0 and the invoice amount (a credit note's amount is negative). -#}
    select
        *,
        case
            when invoice_amount_local >= 0
                then least(greatest(paid_to_date_local - amount_invoice_currency, 0), invoice_amount_local)
            else greatest(least(paid_to_date_local - amount_invoice_currency, 0), invoice_amount_local)
        end as settled_before_local,
        case
            when invoice_amount_local >= 0
                then least(greatest(paid_to_date_local, 0), invoice_amount_local)
            else greatest(least(paid_to_date_local, 0), invoice_amount_local)
        end as settled_after_local
    from cumulated
),

allocated as (
    select
        clamped.*,
        accounts.owner_rep_id,
        cast(
            coalesce(clamped.settled_after_local - clamped.settled_before_local, 0) as decimal(18, 2)
        ) as applied_amount_local,
        -- 0 when nothing is applied; null (not 0) when something is applied in a
        -- currency without exchange rate
        cast(
            case
                when coalesce(clamped.settled_after_local - clamped.settled_before_local, 0) = 0 then 0
                else
                    {{ convert_currency('clamped.settled_after_local', 'clamped.invoice_exchange_rate') }}
                    - {{ convert_currency('clamped.settled_before_local', 'clamped.invoice_exchange_rate') }}
            end as decimal(18, 2)
        ) as applied_amount
    from clamped
    left join accounts
        on clamped.account_id = accounts.account_id
),

payment_facts as (
    select
        payment_id,
        invoice_id,
        account_id,
        owner_rep_id,
        paid_date,
        cast({{ dbt.date_trunc('month', 'paid_date') }} as date) as paid_month_start_date,
        payment_method,
        amount_local,
        currency_code,
        exchange_rate,
        amount,
        is_invoice_known,
        invoice_type,
        invoice_currency_code,
        coalesce(currency_code != invoice_currency_code, false) as is_foreign_currency,
        invoice_currency_rate_at_payment,
        amount_invoice_currency,
        applied_amount_local,
        cast(coalesce(amount_invoice_currency - applied_amount_local, 0) as decimal(18, 2)) as unapplied_amount_local,
        cast(invoice_amount_local - settled_after_local as decimal(18, 2)) as invoice_open_after_local,
        applied_amount,
        case
            when is_invoice_known
                then
                    {{ convert_currency(
                        '(amount_invoice_currency - applied_amount_local)',
                        'invoice_currency_rate_at_payment'
                    ) }}
            else amount
        end as unapplied_amount,
        invoice_date,
        due_date,
        coalesce(paid_date <= due_date, false) as is_paid_by_due_date
    from allocated
),

final as (
    select
        *,
        cast(amount - applied_amount - unapplied_amount as decimal(18, 2)) as fx_difference_amount
    from payment_facts
)

select * from final
