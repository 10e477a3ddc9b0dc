{#- Receivables identity: per invoice currency, the invoices' amounts equal the
    payments applied to them up to the as-of date (from the payments model,
    allocated payment by payment) plus the balances the invoices model still
    shows open — exactly, in the invoice currency and, at book value, in the
    reporting currency. model: fct_invoices-shaped (currency_code, amount_local,
    amount, open_amount_local, open_amount); payments_model: fct_payments-shaped
    (invoice_currency_code, applied_amount_local, applied_amount, paid_date,
    is_invoice_known); as_of_model: one row with as_of_date. Failing rows name
    the currency and the three totals. -#}
{% test finance__collected_plus_open_equals_invoiced(model, payments_model, as_of_model) %}

with invoiced as (
    select
        currency_code,
        sum(amount_local) as invoiced_local,
        sum(amount) as invoiced_amount,
        sum(open_amount_local) as open_local,
        sum(open_amount) as open_amount
    from {{ model }}
    group by currency_code
),

collected as (
    select
        payments.invoice_currency_code as currency_code,
        sum(payments.applied_amount_local) as collected_local,
        sum(payments.applied_amount) as collected_amount
    from {{ payments_model }} as payments
    cross join {{ as_of_model }} as as_of
    where
        payments.is_invoice_known
        and payments.paid_date <= as_of.as_of_date
    group by payments.invoice_currency_code
)

select
    invoiced.currency_code,
    invoiced.invoiced_local,
    coalesce(collected.collected_local, 0) as collected_local,
    invoiced.open_local,
    invoiced.invoiced_amount,
    coalesce(collected.collected_amount, 0) as collected_amount,
    invoiced.open_amount
from invoiced
left join collected
    on invoiced.currency_code = collected.currency_code
where
    invoiced.invoiced_local != coalesce(collected.collected_local, 0) + invoiced.open_local
    or invoiced.invoiced_amount != coalesce(collected.collected_amount, 0) + invoiced.open_amount

{% endtest %}
