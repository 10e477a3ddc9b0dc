{#- The weekly owner report (S19) as of the as-of date: one row per owner with
    last week's deals created, won and lost and calls and meetings done, and the
    calls and meetings scheduled for next week (weeks start on Monday; last week
    is the full week before the as-of date's week). -#}
with owner_weeks as (
    select * from {{ ref('kpi_sales_owner_weekly') }}
),

as_of as (
    select * from {{ ref('int_as_of_date') }}
),

final as (
    select
        owner_weeks.rep_id,
        max(owner_weeks.rep_name) as rep_name,
        max(owner_weeks.team_id) as team_id,
        max(owner_weeks.team_name) as team_name,
        max(as_of.as_of_date) as as_of_date,
        max(case when owner_weeks.relative_week = 'last_week' then owner_weeks.week_start_date end)
            as last_week_start_date,
        coalesce(max(case when owner_weeks.relative_week = 'last_week' then owner_weeks.opportunities_created end), 0)
            as last_week_opportunities_created,
        coalesce(max(case when owner_weeks.relative_week = 'last_week' then owner_weeks.opportunities_won end), 0)
            as last_week_opportunities_won,
        -- doc block unknown_amounts: null when last week's won deals have no known amount
        {{ amount_total(
            "max(case when owner_weeks.relative_week = 'last_week' then owner_weeks.won_revenue end)",
            "max(case when owner_weeks.relative_week = 'last_week' then owner_weeks.opportunities_won end)"
        ) }} as last_week_won_revenue,
        coalesce(max(case when owner_weeks.relative_week = 'last_week' then owner_weeks.opportunities_lost end), 0)
            as last_week_opportunities_lost,
        coalesce(max(case when owner_weeks.relative_week = 'last_week' then owner_weeks.calls_done end), 0)
            as last_week_calls_done,
        coalesce(max(case when owner_weeks.relative_week = 'last_week' then owner_weeks.meetings_done end), 0)
            as last_week_meetings_done,
        coalesce(max(case when owner_weeks.relative_week = 'next_week' then owner_weeks.calls_scheduled end), 0)
            as next_week_calls_scheduled,
        coalesce(
            max(case when owner_weeks.relative_week = 'next_week' then owner_weeks.meetings_scheduled end), 0
        )
            as next_week_meetings_scheduled
    from owner_weeks
    cross join as_of
    group by owner_weeks.rep_id
)

select * from final
