{#- One row per account that has a done activity (A2): the first-ever done
    activity with the account (any purpose or type, cancelled ones and
    abandoned calls excluded; earliest activity_at, then activity_id), who did
    it, and whether the account was still a prospect then: not yet a customer,
    i.e. no won deal closed (dim_accounts.first_won_at) and no revenue order
    placed (status not cancelled or refunded) at or before that moment. -#}
with activities as (
    select * from {{ ref('fct_activities') }}
),

accounts as (
    select * from {{ ref('dim_accounts') }}
),

orders as (
    select * from {{ ref('int_orders_converted') }}
),

first_orders as (
    select
        account_id,
        min(ordered_at) as first_ordered_at
    from orders
    where status not in ('cancelled', 'refunded')
    group by account_id
),

ranked as (
    select
        activity_id,
        account_id,
        rep_id,
        activity_at,
        row_number() over (
            partition by account_id
            order by activity_at, activity_id
        ) as activity_rank
    from activities
    where
        account_id is not null
        and is_done
        and not is_abandoned
),

first_activities as (
    select * from ranked
    where activity_rank = 1
),

customer_since as (
    select
        first_activities.account_id,
        first_activities.activity_id as first_activity_id,
        first_activities.rep_id as first_activity_rep_id,
        first_activities.activity_at as first_activity_at,
        cast(first_activities.activity_at as date) as first_activity_date,
        cast({{ dbt.date_trunc('month', 'first_activities.activity_at') }} as date)
            as first_activity_month_start_date,
        case
            when accounts.first_won_at is null then first_orders.first_ordered_at
            when first_orders.first_ordered_at is null then accounts.first_won_at
            when first_orders.first_ordered_at < accounts.first_won_at then first_orders.first_ordered_at
            else accounts.first_won_at
        end as customer_since_at
    from first_activities
    left join accounts
        on first_activities.account_id = accounts.account_id
    left join first_orders
        on first_activities.account_id = first_orders.account_id
),

final as (
    select
        *,
        customer_since_at is null or customer_since_at > first_activity_at as is_prospect_at_first_activity
    from customer_since
)

select * from final
