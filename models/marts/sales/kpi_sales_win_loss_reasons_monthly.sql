{#- Win/loss reasons (S12): per close month, outcome (won/lost) and reason, the
    count and amount of deals; one row per month x every (outcome, reason) pair
    that occurs, zeros included. A missing reason is 'unspecified'. -#}
with opportunities as (
    select * from {{ ref('fct_opportunities') }}
),

months as (
    select * from {{ ref('int_months') }}
),

closed_deals as (
    select
        closed_month_start_date as month_start_date,
        case when is_won then 'won' else 'lost' end as outcome,
        coalesce(case when is_won then win_reason else loss_reason end, 'unspecified') as reason,
        amount
    from opportunities
    where is_closed and closed_month_start_date is not null
),

reasons as (
    select distinct
        outcome,
        reason
    from closed_deals
),

by_month as (
    select
        month_start_date,
        outcome,
        reason,
        count(*) as opportunities_closed,
        sum(amount) as closed_amount
    from closed_deals
    group by month_start_date, outcome, reason
),

spine as (
    select
        months.month_start_date,
        reasons.outcome,
        reasons.reason
    from months
    cross join reasons
),

joined as (
    select
        spine.month_start_date,
        spine.outcome,
        spine.reason,
        coalesce(by_month.opportunities_closed, 0) as opportunities_closed,
        cast(coalesce(by_month.closed_amount, 0) as decimal(18, 2)) as closed_amount
    from spine
    left join by_month
        on
            spine.month_start_date = by_month.month_start_date
            and spine.outcome = by_month.outcome
            and spine.reason = by_month.reason
),

final as (
    select
        month_start_date,
        outcome,
        reason,
        opportunities_closed,
        closed_amount,
        {{ safe_divide(
            'opportunities_closed', 'sum(opportunities_closed) over (partition by month_start_date, outcome)'
        ) }}
            as outcome_share
    from joined
)

select * from final
