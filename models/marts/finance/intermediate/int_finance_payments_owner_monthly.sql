{#- F1, F2, F4 payment measures by month and account owner (the invoice's
    owner, else the paying account's, else 'unknown'), read by
    kpi_receivables_monthly (summed over owners) and
    kpi_billing_by_owner_monthly: what was collected (by paid month, paid on
    or before the as-of date), what was settled on invoices (book value, by
    the month the payment took effect: its paid date, or the invoice date for
    a payment made before its invoice) and how much of what fell due in a
    month was paid by its balance date (invoices, not credit notes). -#}
with months as (
    select * from {{ ref('int_months') }}
),

as_of as (
    select * from {{ ref('int_as_of_date') }}
),

payments as (
    select * from {{ ref('fct_payments') }}
),

invoices as (
    select * from {{ ref('fct_invoices') }}
),

attributed as (
    select
        payments.*,
        invoices.is_credit_note as invoice_is_credit_note,
        invoices.due_date as invoice_due_date,
        invoices.due_month_start_date as invoice_due_month_start_date,
        coalesce(invoices.owner_rep_id, payments.owner_rep_id, 'unknown') as owner_key,
        coalesce(invoices.owner_rep_id, 'unknown') as invoice_owner_key
    from payments
    left join invoices
        on payments.invoice_id = invoices.invoice_id
),

collected as (
    select
        attributed.paid_month_start_date as month_start_date,
        attributed.owner_key as owner_rep_id,
        count(*) as payments_received,
        count(case when attributed.amount is null then 1 end) as payments_without_amount,
        sum(attributed.amount) as collected_amount,
        sum(attributed.applied_amount) as collected_book_amount,
        sum(attributed.unapplied_amount) as unapplied_amount,
        sum(attributed.fx_difference_amount) as fx_difference_amount,
        cast(null as decimal(18, 2)) as settled_amount,
        cast(null as decimal(18, 2)) as collected_of_due_amount
    from attributed
    cross join as_of
    where attributed.paid_date <= as_of.as_of_date
    group by attributed.paid_month_start_date, attributed.owner_key
),

settled as (
    select
        cast(
            {{ dbt.date_trunc(
                'month',
                'case when attributed.paid_date < attributed.invoice_date then attributed.invoice_date'
                ~ ' else attributed.paid_date end'
            ) }} as date
        ) as month_start_date,
        attributed.owner_key as owner_rep_id,
        0 as payments_received,
        0 as payments_without_amount,
        cast(null as decimal(18, 2)) as collected_amount,
        cast(null as decimal(18, 2)) as collected_book_amount,
        cast(null as decimal(18, 2)) as unapplied_amount,
        cast(null as decimal(18, 2)) as fx_difference_amount,
        sum(attributed.applied_amount) as settled_amount,
        cast(null as decimal(18, 2)) as collected_of_due_amount
    from attributed
    cross join as_of
    where
        attributed.is_invoice_known
        and attributed.paid_date <= as_of.as_of_date
    group by
        cast(
            {{ dbt.date_trunc(
                'month',
                'case when attributed.paid_date < attributed.invoice_date then attributed.invoice_date'
                ~ ' else attributed.paid_date end'
            ) }} as date
        ),
        attributed.owner_key
),

collected_of_due as (
    select
        months.month_start_date,
        attributed.invoice_owner_key as owner_rep_id,
        0 as payments_received,
        0 as payments_without_amount,
        cast(null as decimal(18, 2)) as collected_amount,
        cast(null as decimal(18, 2)) as collected_book_amount,
        cast(null as decimal(18, 2)) as unapplied_amount,
        cast(null as decimal(18, 2)) as fx_difference_amount,
        cast(null as decimal(18, 2)) as settled_amount,
        sum(attributed.applied_amount) as collected_of_due_amount
    from attributed
    inner join months
        on attributed.invoice_due_month_start_date = months.month_start_date
    where
        not attributed.invoice_is_credit_note
        and attributed.invoice_due_date <= months.balance_date
        and attributed.paid_date <= months.balance_date
    group by months.month_start_date, attributed.invoice_owner_key
),

measures as (
    select * from collected
    union all
    select * from settled
    union all
    select * from collected_of_due
),

final as (
    select
        month_start_date,
        owner_rep_id,
        cast(sum(payments_received) as integer) as payments_received,
        cast(sum(payments_without_amount) as integer) as payments_without_amount,
        cast(sum(collected_amount) as decimal(18, 2)) as collected_amount,
        cast(sum(collected_book_amount) as decimal(18, 2)) as collected_book_amount,
        cast(sum(unapplied_amount) as decimal(18, 2)) as unapplied_amount,
        cast(sum(fx_difference_amount) as decimal(18, 2)) as fx_difference_amount,
        cast(sum(settled_amount) as decimal(18, 2)) as settled_amount,
        cast(sum(collected_of_due_amount) as decimal(18, 2)) as collected_of_due_amount
    from measures
    group by month_start_date, owner_rep_id
)

select * from final
