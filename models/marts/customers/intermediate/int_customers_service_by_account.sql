{#- C7: each account's service interactions up to the as-of date: done
    service activities (fct_activities.is_done: completed, not cancelled)
    and their handle time (talk + hold + wrap). One row per account with
    one. -#}
with activities as (
    select * from {{ ref('fct_activities') }}
),

as_of as (
    select * from {{ ref('int_as_of_date') }}
),

final as (
    select
        activities.account_id,
        cast(count(*) as integer) as service_interactions,
        cast(sum(activities.handle_seconds) as {{ dbt.type_bigint() }}) as handle_seconds
    from activities
    cross join as_of
    where
        activities.purpose = 'service'
        and activities.account_id is not null
        and activities.is_done
        and cast(activities.completed_at as date) <= as_of.as_of_date
    group by activities.account_id
)

select * from final
