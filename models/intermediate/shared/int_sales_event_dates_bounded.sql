{#- The first and the latest sales event date in the data (opportunity
    created/closed, lead created, activity completed): one row, read by
    int_as_of_date. -#}
with event_dates as (
    select cast(created_at as date) as event_date from {{ ref('stg_crm__opportunities') }}
    union all
    select cast(closed_at as date) from {{ ref('stg_crm__opportunities') }}
    union all
    select cast(created_at as date) from {{ ref('stg_crm__leads') }}
    union all
    select cast(completed_at as date) from {{ ref('stg_crm__activities') }}
),

final as (
    select
        min(event_date) as first_event_date,
        max(event_date) as last_event_date
    from event_dates
)

select * from final
