{#- The date replacing current_date everywhere: the var, else the latest event in the data. -#}
with event_dates as (
    select cast(created_at as date) as event_date from {{ ref('int_opportunities_converted') }}
    union all
    select cast(closed_at as date) from {{ ref('int_opportunities_converted') }}
    union all
    select cast(created_at as date) from {{ ref('int_leads_mapped') }}
    union all
    select cast(completed_at as date) from {{ ref('stg_crm__activities') }}
    union all
    select cast(ordered_at as date) from {{ ref('int_orders_converted') }}
    union all
    select invoice_date from {{ ref('int_invoices_converted') }}
    union all
    select paid_date from {{ ref('int_payments_converted') }}
    union all
    select cast(opened_at as date) from {{ ref('stg_crm__support_cases') }}
    union all
    select cast(closed_at as date) from {{ ref('stg_crm__support_cases') }}
),

bounds as (
    select
        min(event_date) as first_event_date,
        max(event_date) as last_event_date
    from event_dates
),

final as (
    select
        {% if var('as_of_date', none) -%}
            cast('{{ var("as_of_date") }}' as date) as as_of_date,
            true as is_from_var,
        {%- else -%}
            last_event_date as as_of_date,
            false as is_from_var,
        {%- endif %}
        first_event_date
    from bounds
)

select
    as_of_date,
    cast({{ dbt.date_trunc('month', 'as_of_date') }} as date) as as_of_month_start_date,
    first_event_date,
    is_from_var
from final
