{#- Lost-deal follow-ups (S13): lost deals closed 90 to 180 days before the as-of
    date whose account has no open opportunity and no deal won on or after the
    lost deal's close date: the follow-up call list. -#}
with opportunities as (
    select * from {{ ref('fct_opportunities') }}
),

accounts as (
    select * from {{ ref('dim_accounts') }}
),

reps as (
    select * from {{ ref('dim_reps') }}
),

as_of as (
    select * from {{ ref('int_as_of_date') }}
),

lost_deals as (
    select
        opportunities.*,
        cast(
            {{ dbt.datediff('opportunities.closed_date', 'as_of.as_of_date', 'day') }}
            as integer
        ) as days_since_close
    from opportunities
    cross join as_of
    where opportunities.is_lost and opportunities.account_id is not null
),

in_window as (
    select * from lost_deals
    where days_since_close between 90 and 180
),

later_activity as (
    select distinct in_window.opportunity_id
    from in_window
    inner join opportunities as other_deals
        on
            in_window.account_id = other_deals.account_id
            and in_window.opportunity_id != other_deals.opportunity_id
    where
        other_deals.is_open
        or (other_deals.is_won and other_deals.closed_date >= in_window.closed_date)
),

final as (
    select
        in_window.opportunity_id,
        in_window.opportunity_name,
        in_window.account_id,
        accounts.account_name,
        in_window.owner_rep_id,
        reps.rep_name as owner_rep_name,
        in_window.partner_id,
        in_window.amount,
        in_window.amount_local,
        in_window.currency_code,
        in_window.loss_reason,
        in_window.closed_date,
        in_window.days_since_close,
        as_of.as_of_date
    from in_window
    cross join as_of
    left join later_activity
        on in_window.opportunity_id = later_activity.opportunity_id
    left join accounts
        on in_window.account_id = accounts.account_id
    left join reps
        on in_window.owner_rep_id = reps.rep_id
    where later_activity.opportunity_id is null
)

select * from final
