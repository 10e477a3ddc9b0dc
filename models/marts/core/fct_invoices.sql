{#- One row per invoice or credit note, with what was paid against it up to
    the as-of date (allocated in fct_payments) and what is still open. -#}
with invoices as (
    select * from {{ ref('int_invoices_converted') }}
),

payments as (
    select * from {{ ref('fct_payments') }}
),

accounts as (
    select * from {{ ref('dim_accounts') }}
),

as_of as (
    select * from {{ ref('int_as_of_date') }}
),

payment_totals as (
    select
        payments.invoice_id,
        count(*) as payment_count,
        min(payments.paid_date) as first_paid_date,
        max(payments.paid_date) as last_paid_date,
        min(case when payments.invoice_open_after_local = 0 then payments.paid_date end) as fully_paid_date,
        sum(payments.amount_invoice_currency) as paid_amount_local,
        sum(payments.applied_amount_local) as applied_amount_local,
        sum(payments.unapplied_amount_local) as unapplied_amount_local,
        sum(payments.amount) as cash_collected_amount,
        sum(payments.applied_amount) as collected_amount,
        sum(payments.unapplied_amount) as unapplied_amount,
        sum(payments.fx_difference_amount) as fx_difference_amount,
        max(case when payments.is_foreign_currency then 1 else 0 end) as has_foreign_currency_payment
    from payments
    cross join as_of
    where payments.paid_date <= as_of.as_of_date
    group by payments.invoice_id
),

balances as (
    select
        invoices.invoice_id,
        invoices.account_id,
        accounts.owner_rep_id,
        invoices.order_id,
        invoices.contract_id,
        invoices.invoice_type,
        invoices.invoice_type = 'credit_note' as is_credit_note,
        invoices.invoice_date,
        cast({{ dbt.date_trunc('month', 'invoices.invoice_date') }} as date) as invoice_month_start_date,
        invoices.due_date,
        cast({{ dbt.date_trunc('month', 'invoices.due_date') }} as date) as due_month_start_date,
        invoices.currency_code,
        invoices.exchange_rate,
        invoices.amount_local,
        invoices.amount,
        cast(coalesce(payment_totals.payment_count, 0) as integer) as payment_count,
        payment_totals.first_paid_date,
        payment_totals.last_paid_date,
        payment_totals.fully_paid_date,
        cast(coalesce(payment_totals.paid_amount_local, 0) as decimal(18, 2)) as paid_amount_local,
        cast(coalesce(payment_totals.applied_amount_local, 0) as decimal(18, 2)) as applied_amount_local,
        cast(coalesce(payment_totals.unapplied_amount_local, 0) as decimal(18, 2)) as unapplied_amount_local,
        cast(
            invoices.amount_local - coalesce(payment_totals.applied_amount_local, 0) as decimal(18, 2)
        ) as open_amount_local,
        -- doc block unknown_amounts: 0 without payments, null when none has a known amount
        {{ amount_total('payment_totals.cash_collected_amount', 'payment_totals.payment_count') }}
            as cash_collected_amount,
        -- 0 when nothing is applied (the local sum is 0), else null when the rate is unknown
        {{ amount_total('payment_totals.collected_amount', 'payment_totals.applied_amount_local') }}
            as collected_amount,
        cast(invoices.amount - coalesce(payment_totals.collected_amount, 0) as decimal(18, 2)) as open_amount,
        cast(coalesce(payment_totals.unapplied_amount, 0) as decimal(18, 2)) as unapplied_amount,
        cast(coalesce(payment_totals.fx_difference_amount, 0) as decimal(18, 2)) as fx_difference_amount,
        coalesce(payment_totals.has_foreign_currency_payment = 1, false) as has_foreign_currency_payment,
        as_of.as_of_date
    from invoices
    cross join as_of
    left join payment_totals
        on invoices.invoice_id = payment_totals.invoice_id
    left join accounts
        on invoices.account_id = accounts.account_id
),

aged as (
    select
        *,
        case
            when open_amount_local != 0
                then cast({{ finance__datediff_days('due_date', 'as_of_date') }} as integer)
        end as days_past_due
    from balances
),

final as (
    select
        invoice_id,
        account_id,
        owner_rep_id,
        order_id,
        contract_id,
        invoice_type,
        is_credit_note,
        invoice_date,
        invoice_month_start_date,
        due_date,
        due_month_start_date,
        currency_code,
        exchange_rate,
        amount_local,
        amount,
        payment_count,
        first_paid_date,
        last_paid_date,
        fully_paid_date,
        paid_amount_local,
        applied_amount_local,
        unapplied_amount_local,
        open_amount_local,
        cash_collected_amount,
        collected_amount,
        open_amount,
        unapplied_amount,
        fx_difference_amount,
        has_foreign_currency_payment,
        open_amount_local = 0 as is_settled,
        cast(
            {{ finance__datediff_days('invoice_date', 'fully_paid_date') }} as integer
        ) as days_to_pay,
        days_past_due,
        {{ finance__aging_bucket('days_past_due') }} as aging_bucket
    from aged
)

select * from final
