{#- The first and the latest service event date in the data (support case
    opened/closed): one row, read by int_as_of_date. -#}
with event_dates as (
    select cast(opened_at as date) as event_date from {{ ref('stg_crm__support_cases') }}
    union all
    select cast(closed_at as date) from {{ ref('stg_crm__support_cases') }}
),

final as (
    select
        min(event_date) as first_event_date,
        max(event_date) as last_event_date
    from event_dates
)

select * from final
