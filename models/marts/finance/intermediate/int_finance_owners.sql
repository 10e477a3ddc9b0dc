{#- The account owners finance reports by: every owner whose accounts were
    ever invoiced, and the owner of an account paying without a known
    invoice; 'unknown' for accounts without an owner. With the rep's name. -#}
with invoices as (
    select * from {{ ref('fct_invoices') }}
),

payments as (
    select * from {{ ref('fct_payments') }}
),

reps as (
    select * from {{ ref('dim_reps') }}
),

owners as (
    select coalesce(owner_rep_id, 'unknown') as owner_rep_id
    from invoices

    union

    select coalesce(payments.owner_rep_id, 'unknown') as owner_rep_id
    from payments
    where not payments.is_invoice_known
),

final as (
    select
        owners.owner_rep_id,
        coalesce(reps.rep_name, 'unknown') as owner_rep_name
    from owners
    left join reps
        on owners.owner_rep_id = reps.rep_id
)

select * from final
