{#- One row per month of the spine: billed and collected (F1), open
    receivables at month end by aging bucket (F2), days sales outstanding
    (F3) and collection rate (F4), company-wide. -#}
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

month_ends as (
    select
        month_start_date,
        month_end_date,
        balance_date,
        cast({{ dbt.dateadd('day', -90, 'balance_date') }} as date) as trailing_90d_after_date
    from months
),

billed as (
    select
        invoices.invoice_month_start_date as month_start_date,
        sum(invoices.amount) as invoiced_amount,
        sum(case when not invoices.is_credit_note then invoices.amount end) as invoice_amount,
        sum(case when invoices.is_credit_note then invoices.amount end) as credit_note_amount,
        count(*) as invoice_count,
        count(case when not invoices.is_credit_note then 1 end) as invoice_only_count,
        count(case when invoices.is_credit_note then 1 end) as credit_note_count,
        count(case when invoices.amount is null then 1 end) as invoices_without_amount
    from invoices
    cross join as_of
    where invoices.invoice_date <= as_of.as_of_date
    group by invoices.invoice_month_start_date
),

collected as (
    select
        payments.paid_month_start_date as month_start_date,
        sum(payments.amount) as collected_amount,
        sum(payments.applied_amount) as collected_book_amount,
        sum(payments.unapplied_amount) as unapplied_amount,
        sum(payments.fx_difference_amount) as fx_difference_amount,
        count(*) as payment_count,
        count(case when payments.amount is null then 1 end) as payments_without_amount
    from payments
    cross join as_of
    where payments.paid_date <= as_of.as_of_date
    group by payments.paid_month_start_date
),

effective_payments as (
    {#- A payment reduces its invoice's balance from its paid date, or from
        the invoice date when it was paid before the invoice was issued. -#}
    select
        payments.applied_amount,
        cast(
            {{ dbt.date_trunc(
                'month',
                'case when payments.paid_date < payments.invoice_date then payments.invoice_date'
                ~ ' else payments.paid_date end'
            ) }} as date
        ) as effective_month_start_date
    from payments
    cross join as_of
    where
        payments.is_invoice_known
        and payments.paid_date <= as_of.as_of_date
),

settled as (
    select
        effective_month_start_date as month_start_date,
        sum(applied_amount) as settled_amount
    from effective_payments
    group by effective_month_start_date
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
        count(*) as open_invoice_count
    from aged
    group by month_start_date
),

daily_invoiced as (
    select
        invoice_date,
        sum(amount) as invoiced_amount
    from invoices
    group by invoice_date
),

trailing_invoiced as (
    select
        month_ends.month_start_date,
        sum(daily_invoiced.invoiced_amount) as invoiced_trailing_90d_amount
    from month_ends
    inner join daily_invoiced
        on
            month_ends.balance_date >= daily_invoiced.invoice_date
            and month_ends.trailing_90d_after_date < daily_invoiced.invoice_date
    group by month_ends.month_start_date
),

fell_due as (
    select
        invoices.due_month_start_date as month_start_date,
        sum(invoices.amount) as due_amount
    from invoices
    cross join as_of
    where
        not invoices.is_credit_note
        and invoices.due_date <= as_of.as_of_date
    group by invoices.due_month_start_date
),

collected_of_due as (
    select
        month_ends.month_start_date,
        sum(payments.applied_amount) as collected_of_due_amount
    from payments
    inner join month_ends
        on cast({{ dbt.date_trunc('month', 'payments.due_date') }} as date) = month_ends.month_start_date
    where
        payments.invoice_type = 'invoice'
        and payments.due_date <= month_ends.balance_date
        and payments.paid_date <= month_ends.balance_date
    group by month_ends.month_start_date
),

combined as (
    select
        month_ends.month_start_date,
        month_ends.month_end_date,
        month_ends.balance_date,
        cast({{ coalesce_if_present('invoices', 'billed.invoice_count') }} as integer) as invoice_count,
        -- F1 amounts: doc block unknown_amounts (0 without rows, null when none is known)
        {{ amount_total(
            'billed.invoiced_amount', 'billed.invoice_count', entities='invoices'
        ) }} as invoiced_amount,
        {{ amount_total(
            'billed.invoice_amount', 'billed.invoice_only_count', entities='invoices'
        ) }} as invoice_amount,
        {{ amount_total(
            'billed.credit_note_amount', 'billed.credit_note_count', entities='invoices'
        ) }} as credit_note_amount,
        cast(
            {{ coalesce_if_present('invoices', 'billed.invoices_without_amount') }}
            as integer
        ) as invoices_without_amount,
        cast({{ coalesce_if_present('payments', 'collected.payment_count') }} as integer) as payment_count,
        {{ amount_total(
            'collected.collected_amount', 'collected.payment_count', entities='payments'
        ) }} as collected_amount,
        cast(
            {{ coalesce_if_present('payments', 'collected.payments_without_amount') }}
            as integer
        ) as payments_without_amount,
        cast(
            {{ coalesce_if_present('payments', 'collected.collected_book_amount') }}
            as decimal(18, 2)
        ) as collected_book_amount,
        cast({{ coalesce_if_present('payments', 'collected.unapplied_amount') }} as decimal(18, 2)) as unapplied_amount,
        cast(
            {{ coalesce_if_present('payments', 'collected.fx_difference_amount') }}
            as decimal(18, 2)
        ) as fx_difference_amount,
        cast(
            sum({{ coalesce_if_present('invoices', 'billed.invoiced_amount') }}) over (
                order by month_ends.month_start_date rows between unbounded preceding and current row
            ) as decimal(18, 2)
        ) as cumulative_invoiced_amount,
        cast(
            sum({{ coalesce_if_present(['invoices', 'payments'], 'settled.settled_amount') }}) over (
                order by month_ends.month_start_date rows between unbounded preceding and current row
            ) as decimal(18, 2)
        ) as cumulative_settled_amount,
        cast({{ coalesce_if_present('invoices', 'aging.open_invoice_count') }} as integer) as open_invoice_count,
        cast({{ coalesce_if_present('invoices', 'aging.open_receivables_amount') }} as decimal(18, 2))
            as open_receivables_amount,
        cast({{ coalesce_if_present('invoices', 'aging.open_current_amount') }} as decimal(18, 2))
            as open_current_amount,
        cast({{ coalesce_if_present('invoices', 'aging.open_1_30_amount') }} as decimal(18, 2)) as open_1_30_amount,
        cast({{ coalesce_if_present('invoices', 'aging.open_31_60_amount') }} as decimal(18, 2)) as open_31_60_amount,
        cast({{ coalesce_if_present('invoices', 'aging.open_61_90_amount') }} as decimal(18, 2)) as open_61_90_amount,
        cast({{ coalesce_if_present('invoices', 'aging.open_over_90_amount') }} as decimal(18, 2))
            as open_over_90_amount,
        cast({{ coalesce_if_present('invoices', 'trailing_invoiced.invoiced_trailing_90d_amount') }} as decimal(18, 2))
            as invoiced_trailing_90d_amount,
        cast({{ coalesce_if_present('invoices', 'fell_due.due_amount') }} as decimal(18, 2)) as due_amount,
        cast(
            {{ coalesce_if_present(['invoices', 'payments'], 'collected_of_due.collected_of_due_amount') }}
            as decimal(18, 2)
        ) as collected_of_due_amount
    from month_ends
    left join billed
        on month_ends.month_start_date = billed.month_start_date
    left join collected
        on month_ends.month_start_date = collected.month_start_date
    left join settled
        on month_ends.month_start_date = settled.month_start_date
    left join aging
        on month_ends.month_start_date = aging.month_start_date
    left join trailing_invoiced
        on month_ends.month_start_date = trailing_invoiced.month_start_date
    left join fell_due
        on month_ends.month_start_date = fell_due.month_start_date
    left join collected_of_due
        on month_ends.month_start_date = collected_of_due.month_start_date
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
