{#- Done sales calls (fct_activities.is_sales_call) per rep and day up to the
    as-of date (A1): calls, connected, no answer, voicemail and talk time.
    Only days on which a rep logged a sales call have a row. -#}
with activities as (
    select * from {{ ref('fct_activities') }}
),

as_of as (
    select * from {{ ref('int_as_of_date') }}
),

final as (
    select
        activities.rep_id,
        activities.activity_date as date_day,
        count(*) as calls,
        cast(sum(case when activities.is_connected then 1 else 0 end) as bigint) as connected_calls,
        cast(sum(case when activities.outcome = 'no_answer' then 1 else 0 end) as bigint) as no_answer_calls,
        cast(sum(case when activities.outcome = 'voicemail' then 1 else 0 end) as bigint) as voicemail_calls,
        cast(sum(coalesce(activities.talk_seconds, 0)) as bigint) as talk_seconds,
        cast(sum(case when activities.is_connected then coalesce(activities.talk_seconds, 0) else 0 end) as bigint)
            as connected_talk_seconds
    from activities
    cross join as_of
    where
        activities.is_sales_call
        and activities.rep_id is not null
        and activities.activity_date <= as_of.as_of_date
    group by activities.rep_id, activities.activity_date
)

select * from final
