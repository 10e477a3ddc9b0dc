{#- The first and the latest finance event date in the data (order placed,
    invoice, payment): one row, read by int_as_of_date. -#}
with event_dates as (
    select cast(ordered_at as date) as event_date from {{ ref('stg_crm__orders') }}
    union all
    select invoice_date from {{ ref('stg_crm__invoices') }}
    union all
    select paid_date from {{ ref('stg_crm__payments') }}
),

final as (
    select
        min(event_date) as first_event_date,
        max(event_date) as last_event_date
    from event_dates
)

select * from final
