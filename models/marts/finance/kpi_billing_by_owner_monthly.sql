{#- One row per month of the spine and account owner (every owner whose
    accounts were ever invoiced; 'unknown' for accounts without an owner):
    billed and collected (F1), what fell due and how much of it was collected
    by the month end (F4), and the open receivables at month end (F2). -#}
with months as (
    select * from {{ ref('int_months') }}
),

owners as (
    select * from {{ ref('int_finance_owners') }}
),

invoiced as (
    select * from {{ ref('int_finance_invoices_owner_monthly') }}
),

paid as (
    select * from {{ ref('int_finance_payments_owner_monthly') }}
),

aged as (
    select * from {{ ref('int_invoice_month_ends_aged') }}
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
        months.month_start_date,
        owners.owner_rep_id,
        owners.owner_rep_name,
        -- F1 amounts: doc block unknown_amounts (0 without rows, null when none is known)
        {{ amount_total(
            'invoiced.invoiced_amount', 'invoiced.invoices_issued', entities='invoices'
        ) }} as invoiced_amount,
        {{ amount_total(
            'invoiced.credit_note_amount', 'invoiced.credit_note_count', entities='invoices'
        ) }} as credit_note_amount,
        cast(
            {{ coalesce_if_present('invoices', 'invoiced.invoices_without_amount') }}
            as integer
        ) as invoices_without_amount,
        {{ amount_total(
            'paid.collected_amount', 'paid.payments_received', entities='payments'
        ) }} as collected_amount,
        cast(
            {{ coalesce_if_present('payments', 'paid.payments_without_amount') }}
            as integer
        ) as payments_without_amount,
        cast({{ coalesce_if_present('invoices', 'invoiced.due_amount') }} as decimal(18, 2)) as due_amount,
        cast(
            {{ coalesce_if_present(['invoices', 'payments'], 'paid.collected_of_due_amount') }}
            as decimal(18, 2)
        ) as collected_of_due_amount,
        cast(
            {{ coalesce_if_present('invoices', 'open_at_month_end.open_receivables_amount') }}
            as decimal(18, 2)
        ) as open_receivables_amount,
        cast({{ coalesce_if_present('invoices', 'open_at_month_end.overdue_receivables_amount') }} as decimal(18, 2))
            as overdue_receivables_amount
    from months
    cross join owners
    left join invoiced
        on
            months.month_start_date = invoiced.month_start_date
            and owners.owner_rep_id = invoiced.owner_rep_id
    left join paid
        on
            months.month_start_date = paid.month_start_date
            and owners.owner_rep_id = paid.owner_rep_id
    left join open_at_month_end
        on
            months.month_start_date = open_at_month_end.month_start_date
            and owners.owner_rep_id = open_at_month_end.owner_rep_id
),

final as (
    select
        *,
        {{ safe_divide('collected_of_due_amount', 'due_amount') }} as collection_rate
    from combined
)

select * from final
