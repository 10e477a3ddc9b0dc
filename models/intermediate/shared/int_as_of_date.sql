{#- The date replacing current_date everywhere: the var, else the latest event in the data
    (the latest of each area's latest event: sales, finance, service). -#}
with area_bounds as (
    select
        first_event_date,
        last_event_date
    from {{ ref('int_sales_event_dates_bounded') }}
    union all
    select
        first_event_date,
        last_event_date
    from {{ ref('int_finance_event_dates_bounded') }}
    union all
    select
        first_event_date,
        last_event_date
    from {{ ref('int_service_event_dates_bounded') }}
),

bounds as (
    select
        min(first_event_date) as first_event_date,
        max(last_event_date) as last_event_date
    from area_bounds
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
