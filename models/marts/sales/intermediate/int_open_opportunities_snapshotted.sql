{#- One row per opportunity and month at whose balance date it was open: a range
    join of the open periods against the months (not a cross join). Each month is
    measured at its balance date (int_months.balance_date: the month end, the
    as-of date for the month in progress). Open then = created on or before it
    and not closed by it: the period started before the day after the balance
    date began and had not ended by then. -#}
with open_periods as (
    select * from {{ ref('int_opportunity_open_periods_bounded') }}
),

opportunities as (
    select * from {{ ref('fct_opportunities') }}
),

months as (
    select
        month_start_date,
        month_end_date,
        balance_date,
        cast({{ dbt.dateadd('day', 1, 'balance_date') }} as timestamp) as balance_end_at
    from {{ ref('int_months') }}
),

snapshots as (
    select
        months.month_start_date,
        months.month_end_date,
        months.balance_date,
        open_periods.opportunity_id,
        open_periods.stage_name,
        open_periods.stage_order,
        open_periods.stage_probability,
        open_periods.amount
    from open_periods
    inner join months
        on
            open_periods.valid_from_at < months.balance_end_at
            and (open_periods.valid_to_at is null or open_periods.valid_to_at >= months.balance_end_at)
),

final as (
    select
        snapshots.month_start_date,
        snapshots.month_end_date,
        snapshots.balance_date,
        snapshots.opportunity_id,
        snapshots.stage_name,
        snapshots.stage_order,
        snapshots.stage_probability,
        snapshots.amount,
        cast(round(snapshots.amount * snapshots.stage_probability, 2) as decimal(18, 2)) as weighted_amount,
        cast(
            {{ dbt.datediff('opportunities.created_date', 'snapshots.balance_date', 'day') }}
            as integer
        ) as days_open
    from snapshots
    inner join opportunities
        on snapshots.opportunity_id = opportunities.opportunity_id
)

select * from final
