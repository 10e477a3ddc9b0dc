{#- One row per month of the spine and account owner (every owner whose
    accounts were ever invoiced; 'unknown' for accounts without an owner):
    billed and collected (F1), what fell due and how much of it was collected
    by the month end (F4), and the open receivables at month end (F2). -#}
with months as (
    select * from {{ ref('int_months') }}
),

as_of as (
    select * from {{ ref('int_as_of_date') }}
),

invoices as (
    select * from {{ ref('fct_invoices') }}
),

payments as (
    select * from {{ ref('fct_payments') }}
),

aged as (
    select * from {{ ref('int_invoice_month_ends_aged') }}
),

reps as (
    select * from {{ ref('dim_reps') }}
),

month_ends as (
    select
        month_start_date,
        balance_date
    from months
),

owners as (
    select coalesce(owner_rep_id, 'unknown') as owner_rep_id
    from invoices

    union

    select coalesce(payments.owner_rep_id, 'unknown') as owner_rep_id
    from payments
    where not payments.is_invoice_known
),

billed as (
    select
        invoices.invoice_month_start_date as month_start_date,
        coalesce(invoices.owner_rep_id, 'unknown') as owner_rep_id,
        count(*) as invoice_count,
        count(case when invoices.is_credit_note then 1 end) as credit_note_count,
        count(case when invoices.amount is null then 1 end) as invoices_without_amount,
        sum(invoices.amount) as invoiced_amount,
        sum(case when invoices.is_credit_note then invoices.amount end) as credit_note_amount
    from invoices
    cross join as_of
    where invoices.invoice_date <= as_of.as_of_date
    group by invoices.invoice_month_start_date, coalesce(invoices.owner_rep_id, 'unknown')
),

collected as (
    select
        payments.paid_month_start_date as month_start_date,
        coalesce(invoices.owner_rep_id, payments.owner_rep_id, 'unknown') as owner_rep_id,
        count(*) as payment_count,
        count(case when payments.amount is null then 1 end) as payments_without_amount,
        sum(payments.amount) as collected_amount
    from payments
    cross join as_of
    left join invoices
        on payments.invoice_id = invoices.invoice_id
    where payments.paid_date <= as_of.as_of_date
    group by
        payments.paid_month_start_date,
        coalesce(invoices.owner_rep_id, payments.owner_rep_id, 'unknown')
),

fell_due as (
    select
        invoices.due_month_start_date as month_start_date,
        coalesce(invoices.owner_rep_id, 'unknown') as owner_rep_id,
        sum(invoices.amount) as due_amount
    from invoices
    cross join as_of
    where
        not invoices.is_credit_note
        and invoices.due_date <= as_of.as_of_date
    group by invoices.due_month_start_date, coalesce(invoices.owner_rep_id, 'unknown')
),

collected_of_due as (
    select
        month_ends.month_start_date,
        coalesce(invoices.owner_rep_id, 'unknown') as owner_rep_id,
        sum(payments.applied_amount) as collected_of_due_amount
    from payments
    inner join invoices
        on payments.invoice_id = invoices.invoice_id
    inner join month_ends
        on invoices.due_month_start_date = month_ends.month_start_date
    where
        not invoices.is_credit_note
        and invoices.due_date <= month_ends.balance_date
        and payments.paid_date <= month_ends.balance_date
    group by month_ends.month_start_date, coalesce(invoices.owner_rep_id, 'unknown')
),

open_at_month_end as (
    select
        month_start_date,
        coalesce(owner_rep_id, 'unknown') as owner_rep_id,
        sum(open_amount) as open_receivables_amount,
        sum(case when days_past_due > 0 then open_amount else 0 end) as overdue_receivables_amount
    from aged
    group by month_start_date, coalesce(owner_rep_id, 'unknown')
),

combined as (
    select
        month_ends.month_start_date,
        owners.owner_rep_id,
        coalesce(reps.rep_name, 'unknown') as owner_rep_name,
        -- F1 amounts: doc block unknown_amounts (0 without rows, null when none is known)
        {{ amount_total(
            'billed.invoiced_amount', 'billed.invoice_count', entities='invoices'
        ) }} as invoiced_amount,
        {{ amount_total(
            'billed.credit_note_amount', 'billed.credit_note_count', entities='invoices'
        ) }} as credit_note_amount,
        cast(
            {{ coalesce_if_present('invoices', 'billed.invoices_without_amount') }}
            as integer
        ) as invoices_without_amount,
        {{ amount_total(
            'collected.collected_amount', 'collected.payment_count', entities='payments'
        ) }} as collected_amount,
        cast(
            {{ coalesce_if_present('payments', 'collected.payments_without_amount') }}
            as integer
        ) as payments_without_amount,
        cast({{ coalesce_if_present('invoices', 'fell_due.due_amount') }} as decimal(18, 2)) as due_amount,
        cast(
            {{ coalesce_if_present(['invoices', 'payments'], 'collected_of_due.collected_of_due_amount') }}
            as decimal(18, 2)
        ) as collected_of_due_amount,
        cast(
            {{ coalesce_if_present('invoices', 'open_at_month_end.open_receivables_amount') }}
            as decimal(18, 2)
        ) as open_receivables_amount,
        cast({{ coalesce_if_present('invoices', 'open_at_month_end.overdue_receivables_amount') }} as decimal(18, 2))
            as overdue_receivables_amount
    from month_ends
    cross join owners
    left join reps
        on owners.owner_rep_id = reps.rep_id
    left join billed
        on
            month_ends.month_start_date = billed.month_start_date
            and owners.owner_rep_id = billed.owner_rep_id
    left join collected
        on
            month_ends.month_start_date = collected.month_start_date
            and owners.owner_rep_id = collected.owner_rep_id
    left join fell_due
        on
            month_ends.month_start_date = fell_due.month_start_date
            and owners.owner_rep_id = fell_due.owner_rep_id
    left join collected_of_due
        on
            month_ends.month_start_date = collected_of_due.month_start_date
            and owners.owner_rep_id = collected_of_due.owner_rep_id
    left join open_at_month_end
        on
            month_ends.month_start_date = open_at_month_end.month_start_date
            and owners.owner_rep_id = open_at_month_end.owner_rep_id
),

final as (
    select
        *,
        {{ safe_divide('collected_of_due_amount', 'due_amount') }} as collection_rate
    from combined
)

select * from final
