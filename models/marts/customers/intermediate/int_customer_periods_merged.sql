{#- One row per account and uninterrupted period in which it was an active
    customer (C2): an order (not cancelled or refunded) or a won deal keeps an
    account active from its date for 12 months (to the day before the same
    day 12 months later); a contract keeps it active from its start to its
    in-force end date. Overlapping or adjacent spans merge into one period. -#}
with orders as (
    select * from {{ ref('fct_orders') }}
),

opportunities as (
    select * from {{ ref('fct_opportunities') }}
),

contracts as (
    select * from {{ ref('fct_contracts') }}
),

as_of as (
    select * from {{ ref('int_as_of_date') }}
),

activity_spans as (
    select
        account_id,
        order_date as span_start_date,
        cast({{ dbt.dateadd('day', -1, dbt.dateadd('month', 12, 'order_date')) }} as date) as span_end_date
    from orders
    where is_revenue_order

    union all

    select
        account_id,
        closed_date as span_start_date,
        cast({{ dbt.dateadd('day', -1, dbt.dateadd('month', 12, 'closed_date')) }} as date) as span_end_date
    from opportunities
    where is_won and account_id is not null and closed_date is not null

    union all

    select
        account_id,
        start_date as span_start_date,
        in_force_end_date as span_end_date
    from contracts
    where in_force_end_date is not null and in_force_end_date >= start_date
),

known_spans as (
    select activity_spans.*
    from activity_spans
    cross join as_of
    where activity_spans.span_start_date <= as_of.as_of_date
),

ordered_spans as (
    select
        account_id,
        span_start_date,
        span_end_date,
        max(span_end_date) over (
            partition by account_id
            order by span_start_date, span_end_date
            rows between unbounded preceding and 1 preceding
        ) as previous_max_end_date
    from known_spans
),

flagged_spans as (
    select
        account_id,
        span_start_date,
        span_end_date,
        case
            when previous_max_end_date is null then 1
            when span_start_date > cast({{ dbt.dateadd('day', 1, 'previous_max_end_date') }} as date) then 1
            else 0
        end as is_period_start
    from ordered_spans
),

numbered_spans as (
    select
        account_id,
        span_start_date,
        span_end_date,
        sum(is_period_start) over (
            partition by account_id
            order by span_start_date, span_end_date
            rows between unbounded preceding and current row
        ) as period_number
    from flagged_spans
),

final as (
    select
        account_id || '-' || cast(period_number as {{ dbt.type_string() }}) as customer_period_id,
        account_id,
        cast(period_number as integer) as period_number,
        min(span_start_date) as period_start_date,
        max(span_end_date) as period_end_date,
        cast(count(*) as integer) as span_count
    from numbered_spans
    group by account_id, period_number
)

select * from final
