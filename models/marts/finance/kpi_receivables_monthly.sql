{#- One row per month of the spine: billed and collected (F1), open
    receivables at month end by aging bucket (F2), days sales outstanding
    (F3) and collection rate (F4), company-wide. -#}
with months as (
    select * from {{ ref('int_months') }}
),

invoiced_by_owner as (
    select * from {{ ref('int_finance_invoices_owner_monthly') }}
),

paid_by_owner as (
    select * from {{ ref('int_finance_payments_owner_monthly') }}
),

aged as (
    select * from {{ ref('int_invoice_month_ends_aged') }}
),

invoiced as (
    select
        month_start_date,
        sum(invoices_issued) as invoices_issued,
        sum(invoice_only_count) as invoice_only_count,
        sum(credit_note_count) as credit_note_count,
        sum(invoices_without_amount) as invoices_without_amount,
        sum(invoiced_amount) as invoiced_amount,
        sum(gross_invoiced_amount) as gross_invoiced_amount,
        sum(credit_note_amount) as credit_note_amount,
        sum(due_amount) as due_amount,
        sum(invoiced_trailing_90d_amount) as invoiced_trailing_90d_amount
    from invoiced_by_owner
    group by month_start_date
),

paid as (
    select
        month_start_date,
        sum(payments_received) as payments_received,
        sum(payments_without_amount) as payments_without_amount,
        sum(collected_amount) as collected_amount,
        sum(collected_book_amount) as collected_book_amount,
        sum(unapplied_amount) as unapplied_amount,
        sum(fx_difference_amount) as fx_difference_amount,
        sum(settled_amount) as settled_amount,
        sum(collected_of_due_amount) as collected_of_due_amount
    from paid_by_owner
    group by month_start_date
),

aging as (
    select
        month_start_date,
        sum(open_amount) as open_receivables_amount,
        sum(case when aging_bucket = 'current' then open_amount else 0 end) as open_current_amount,
        sum(case when aging_bucket = '1-30' then open_amount else 0 end) as open_1_30_amount,
        sum(case when aging_bucket = '31-60' then open_amount else 0 end) as open_31_60_amount,
        sum(case when aging_bucket = '61-90' then open_amount else 0 end) as open_61_90_amount,
        sum(case when aging_bucket = 'over_90' then open_amount else 0 end) as open_over_90_amount,
        count(*) as open_invoices
    from aged
    group by month_start_date
),

combined as (
    select
        months.month_start_date,
        months.month_end_date,
        months.balance_date,
        cast({{ coalesce_if_present('invoices', 'invoiced.invoices_issued') }} as integer) as invoices_issued,
        -- F1 amounts: doc block unknown_amounts (0 without rows, null when none is known)
        {{ amount_total(
            'invoiced.invoiced_amount', 'invoiced.invoices_issued', entities='invoices'
        ) }} as invoiced_amount,
        {{ amount_total(
            'invoiced.gross_invoiced_amount', 'invoiced.invoice_only_count', entities='invoices'
        ) }} as gross_invoiced_amount,
        {{ amount_total(
            'invoiced.credit_note_amount', 'invoiced.credit_note_count', entities='invoices'
        ) }} as credit_note_amount,
        cast(
            {{ coalesce_if_present('invoices', 'invoiced.invoices_without_amount') }}
            as integer
        ) as invoices_without_amount,
        cast({{ coalesce_if_present('payments', 'paid.payments_received') }} as integer) as payments_received,
        {{ amount_total(
            'paid.collected_amount', 'paid.payments_received', entities='payments'
        ) }} as collected_amount,
        cast(
            {{ coalesce_if_present('payments', 'paid.payments_without_amount') }}
            as integer
        ) as payments_without_amount,
        cast(
            {{ coalesce_if_present('payments', 'paid.collected_book_amount') }}
            as decimal(18, 2)
        ) as collected_book_amount,
        cast({{ coalesce_if_present('payments', 'paid.unapplied_amount') }} as decimal(18, 2)) as unapplied_amount,
        cast(
            {{ coalesce_if_present('payments', 'paid.fx_difference_amount') }}
            as decimal(18, 2)
        ) as fx_difference_amount,
        cast(
            sum({{ coalesce_if_present('invoices', 'invoiced.invoiced_amount') }}) over (
                order by months.month_start_date rows between unbounded preceding and current row
            ) as decimal(18, 2)
        ) as cumulative_invoiced_amount,
        cast(
            sum({{ coalesce_if_present(['invoices', 'payments'], 'paid.settled_amount') }}) over (
                order by months.month_start_date rows between unbounded preceding and current row
            ) as decimal(18, 2)
        ) as cumulative_settled_amount,
        cast({{ coalesce_if_present('invoices', 'aging.open_invoices') }} as integer) as open_invoices,
        cast({{ coalesce_if_present('invoices', 'aging.open_receivables_amount') }} as decimal(18, 2))
            as open_receivables_amount,
        cast({{ coalesce_if_present('invoices', 'aging.open_current_amount') }} as decimal(18, 2))
            as open_current_amount,
        cast({{ coalesce_if_present('invoices', 'aging.open_1_30_amount') }} as decimal(18, 2)) as open_1_30_amount,
        cast({{ coalesce_if_present('invoices', 'aging.open_31_60_amount') }} as decimal(18, 2)) as open_31_60_amount,
        cast({{ coalesce_if_present('invoices', 'aging.open_61_90_amount') }} as decimal(18, 2)) as open_61_90_amount,
        cast({{ coalesce_if_present('invoices', 'aging.open_over_90_amount') }} as decimal(18, 2))
            as open_over_90_amount,
        cast({{ coalesce_if_present('invoices', 'invoiced.invoiced_trailing_90d_amount') }} as decimal(18, 2))
            as invoiced_trailing_90d_amount,
        cast({{ coalesce_if_present('invoices', 'invoiced.due_amount') }} as decimal(18, 2)) as due_amount,
        cast(
            {{ coalesce_if_present(['invoices', 'payments'], 'paid.collected_of_due_amount') }}
            as decimal(18, 2)
        ) as collected_of_due_amount
    from months
    left join invoiced
        on months.month_start_date = invoiced.month_start_date
    left join paid
        on months.month_start_date = paid.month_start_date
    left join aging
        on months.month_start_date = aging.month_start_date
),

final as (
    select
        *,
        cast(
            open_1_30_amount + open_31_60_amount + open_61_90_amount + open_over_90_amount as decimal(18, 2)
        ) as overdue_receivables_amount,
        {{ safe_divide('open_receivables_amount * 90', 'invoiced_trailing_90d_amount', 'decimal(18,2)') }}
            as days_sales_outstanding,
        {{ safe_divide('collected_of_due_amount', 'due_amount') }} as collection_rate
    from combined
)

select * from final
