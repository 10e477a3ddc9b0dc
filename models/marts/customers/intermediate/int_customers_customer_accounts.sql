{#- C4, C7: the customer accounts up to the as-of date: every account with
    an order (any status), a won deal or a contract in force on or before
    the as-of date. One row per account. -#}
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

final as (
    select orders.account_id
    from orders
    cross join as_of
    where orders.order_date <= as_of.as_of_date

    union

    select opportunities.account_id
    from opportunities
    cross join as_of
    where
        opportunities.is_won
        and opportunities.account_id is not null
        and opportunities.closed_date <= as_of.as_of_date

    union

    select contracts.account_id
    from contracts
    cross join as_of
    where
        contracts.in_force_end_date is not null
        and contracts.start_date <= as_of.as_of_date
)

select * from final
