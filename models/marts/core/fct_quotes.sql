with quotes as (
    select * from {{ ref('int_quotes_converted') }}
),

opportunities as (
    select * from {{ ref('int_opportunities_converted') }}
),

orders as (
    select * from {{ ref('int_orders_converted') }}
),

ranked_orders as (
    select
        quote_id,
        order_id,
        row_number() over (partition by quote_id order by ordered_at, order_id) as order_rank
    from orders
    where quote_id is not null
),

first_orders as (
    select
        quote_id,
        order_id
    from ranked_orders
    where order_rank = 1
),

flagged as (
    select
        quotes.*,
        quotes.sent_at is not null
        or quotes.status in ('sent', 'accepted', 'rejected', 'expired') as is_sent,
        quotes.status = 'accepted' or quotes.accepted_at is not null as is_accepted
    from quotes
),

final as (
    select
        flagged.quote_id,
        flagged.opportunity_id,
        flagged.account_id,
        opportunities.owner_rep_id,
        flagged.status,
        flagged.amount,
        flagged.amount_local,
        flagged.currency_code,
        flagged.created_at,
        flagged.sent_at,
        case when flagged.is_sent then cast(coalesce(flagged.sent_at, flagged.created_at) as date) end as sent_date,
        flagged.accepted_at,
        flagged.is_sent,
        flagged.is_accepted,
        first_orders.order_id,
        first_orders.order_id is not null as has_order
    from flagged
    left join opportunities
        on flagged.opportunity_id = opportunities.opportunity_id
    left join first_orders
        on flagged.quote_id = first_orders.quote_id
)

select * from final
