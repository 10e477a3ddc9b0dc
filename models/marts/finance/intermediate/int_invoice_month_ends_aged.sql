{#- One row per invoice (or credit note) and month end at which it was open:
    the balance left after the payments made by that date, valued at the
    invoice's own rate, and its aging bucket. The month end of the month in
    progress is the as-of date. -#}
with invoices as (
    select * from {{ ref('fct_invoices') }}
),

payments as (
    select * from {{ ref('fct_payments') }}
),

months as (
    select * from {{ ref('int_months') }}
),

balance_changes as (
    {#- The balance after issue and after each payment; a payment dated before
        its invoice takes effect on the invoice date. -#}
    select
        invoice_id,
        invoice_date as effective_date,
        0 as change_order,
        '' as payment_id,
        amount_local as open_local
    from invoices

    union all

    select
        payments.invoice_id,
        case
            when payments.paid_date < payments.invoice_date then payments.invoice_date
            else payments.paid_date
        end as effective_date,
        1 as change_order,
        payments.payment_id,
        payments.invoice_open_after_local as open_local
    from payments
    where payments.is_invoice_known
),

balance_intervals as (
    select
        invoice_id,
        effective_date as valid_from_date,
        coalesce(
            lead(effective_date) over (
                partition by invoice_id order by effective_date, change_order, payment_id
            ),
            cast('9999-12-31' as date)
        ) as valid_to_date,
        open_local
    from balance_changes
),

month_ends as (
    select
        month_start_date,
        balance_date
    from months
),

open_at_month_end as (
    select
        month_ends.month_start_date,
        month_ends.balance_date,
        balance_intervals.invoice_id,
        balance_intervals.open_local
    from balance_intervals
    inner join month_ends
        on
            balance_intervals.valid_from_date <= month_ends.balance_date
            and balance_intervals.valid_to_date > month_ends.balance_date
    where balance_intervals.open_local != 0
),

settled_values as (
    select
        open_at_month_end.month_start_date,
        open_at_month_end.invoice_id,
        open_at_month_end.balance_date,
        open_at_month_end.open_local,
        invoices.account_id,
        invoices.owner_rep_id,
        invoices.invoice_type,
        invoices.currency_code,
        invoices.due_date,
        invoices.amount,
        invoices.exchange_rate,
        invoices.amount_local - open_at_month_end.open_local as settled_local
    from open_at_month_end
    inner join invoices
        on open_at_month_end.invoice_id = invoices.invoice_id
),

aged as (
    select
        *,
        {{ convert_currency('settled_local', 'exchange_rate') }} as settled_amount,
        cast(
            {{ finance__datediff_days('due_date', 'balance_date') }} as integer
        ) as days_past_due
    from settled_values
),

final as (
    select
        month_start_date,
        invoice_id,
        account_id,
        owner_rep_id,
        invoice_type,
        currency_code,
        due_date,
        balance_date,
        cast(open_local as decimal(18, 2)) as open_amount_local,
        cast(amount - settled_amount as decimal(18, 2)) as open_amount,
        days_past_due,
        {{ finance__aging_bucket('days_past_due') }} as aging_bucket
    from aged
)

select * from final
