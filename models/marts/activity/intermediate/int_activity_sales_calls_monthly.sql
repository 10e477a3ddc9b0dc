{#- Done sales calls per rep and month (A1): the rep's days of
    int_activity_sales_calls_daily summed over the month. Only months in which
    a rep logged a sales call have a row. -#}
with calls_daily as (
    select * from {{ ref('int_activity_sales_calls_daily') }}
),

final as (
    select
        rep_id,
        cast({{ dbt.date_trunc('month', 'date_day') }} as date) as month_start_date,
        cast(sum(calls) as bigint) as calls,
        cast(sum(connected_calls) as bigint) as connected_calls,
        cast(sum(no_answer_calls) as bigint) as no_answer_calls,
        cast(sum(voicemail_calls) as bigint) as voicemail_calls,
        cast(sum(talk_seconds) as bigint) as talk_seconds,
        cast(sum(connected_talk_seconds) as bigint) as connected_talk_seconds
    from calls_daily
    group by rep_id, {{ dbt.date_trunc('month', 'date_day') }}
)

select * from final
