{#- F1, F3, F4 invoice measures by month and account owner ('unknown' for
    an account without owner), read by kpi_receivables_monthly (summed over
    owners) and kpi_billing_by_owner_monthly: what was billed (by invoice
    month, issued on or before the as-of date), what fell due (invoices, not
    credit notes, by due month, due on or before the as-of date) and what was
    invoiced in the 90 days to the month's balance date (DSO). -#}
with months as (
    select * from {{ ref('int_months') }}
),

as_of as (
    select * from {{ ref('int_as_of_date') }}
),

invoices as (
    select
        *,
        coalesce(owner_rep_id, 'unknown') as owner_key
    from {{ ref('fct_invoices') }}
),

billed as (
    select
        invoices.invoice_month_start_date as month_start_date,
        invoices.owner_key as owner_rep_id,
        count(*) as invoices_issued,
        count(case when not invoices.is_credit_note then 1 end) as invoice_only_count,
        count(case when invoices.is_credit_note then 1 end) as credit_note_count,
        count(case when invoices.amount is null then 1 end) as invoices_without_amount,
        sum(invoices.amount) as invoiced_amount,
        sum(case when not invoices.is_credit_note then invoices.amount end) as gross_invoiced_amount,
        sum(case when invoices.is_credit_note then invoices.amount end) as credit_note_amount,
        cast(null as decimal(18, 2)) as due_amount,
        cast(null as decimal(18, 2)) as invoiced_trailing_90d_amount
    from invoices
    cross join as_of
    where invoices.invoice_date <= as_of.as_of_date
    group by invoices.invoice_month_start_date, invoices.owner_key
),

fell_due as (
    select
        invoices.due_month_start_date as month_start_date,
        invoices.owner_key as owner_rep_id,
        0 as invoices_issued,
        0 as invoice_only_count,
        0 as credit_note_count,
        0 as invoices_without_amount,
        cast(null as decimal(18, 2)) as invoiced_amount,
        cast(null as decimal(18, 2)) as gross_invoiced_amount,
        cast(null as decimal(18, 2)) as credit_note_amount,
        sum(invoices.amount) as due_amount,
        cast(null as decimal(18, 2)) as invoiced_trailing_90d_amount
    from invoices
    cross join as_of
    where
        not invoices.is_credit_note
        and invoices.due_date <= as_of.as_of_date
    group by invoices.due_month_start_date, invoices.owner_key
),

trailing_invoiced as (
    {#- The 90 days ending on the month's balance date (DSO's denominator). -#}
    select
        months.month_start_date,
        invoices.owner_key as owner_rep_id,
        0 as invoices_issued,
        0 as invoice_only_count,
        0 as credit_note_count,
        0 as invoices_without_amount,
        cast(null as decimal(18, 2)) as invoiced_amount,
        cast(null as decimal(18, 2)) as gross_invoiced_amount,
        cast(null as decimal(18, 2)) as credit_note_amount,
        cast(null as decimal(18, 2)) as due_amount,
        sum(invoices.amount) as invoiced_trailing_90d_amount
    from months
    inner join invoices
        on
            months.balance_date >= invoices.invoice_date
            and cast({{ dbt.dateadd('day', -90, 'months.balance_date') }} as date) < invoices.invoice_date
    group by months.month_start_date, invoices.owner_key
),

measures as (
    select * from billed
    union all
    select * from fell_due
    union all
    select * from trailing_invoiced
),

final as (
    select
        month_start_date,
        owner_rep_id,
        cast(sum(invoices_issued) as integer) as invoices_issued,
        cast(sum(invoice_only_count) as integer) as invoice_only_count,
        cast(sum(credit_note_count) as integer) as credit_note_count,
        cast(sum(invoices_without_amount) as integer) as invoices_without_amount,
        cast(sum(invoiced_amount) as decimal(18, 2)) as invoiced_amount,
        cast(sum(gross_invoiced_amount) as decimal(18, 2)) as gross_invoiced_amount,
        cast(sum(credit_note_amount) as decimal(18, 2)) as credit_note_amount,
        cast(sum(due_amount) as decimal(18, 2)) as due_amount,
        cast(sum(invoiced_trailing_90d_amount) as decimal(18, 2)) as invoiced_trailing_90d_amount
    from measures
    group by month_start_date, owner_rep_id
)

select * from final
