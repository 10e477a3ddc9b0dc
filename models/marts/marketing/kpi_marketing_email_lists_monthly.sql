{#- M8 email list growth: (subscribes - unsubscribes) / list size at the start
    of the month; one row per month and list. -#}
with months as (
    select * from {{ ref('int_months') }}
),

list_events as (
    select
        list_id,
        cast({{ dbt.date_trunc('month', 'occurred_at') }} as date) as month_start_date,
        event_type
    from {{ ref('fct_email_list_events') }}
),

list_members as (
    select distinct list_id from list_events
),

spine as (
    select
        months.month_start_date,
        list_members.list_id
    from months
    cross join list_members
),

event_counts as (
    select
        month_start_date,
        list_id,
        sum(case when event_type = 'subscribe' then 1 else 0 end) as subscribes,
        sum(case when event_type = 'unsubscribe' then 1 else 0 end) as unsubscribes
    from list_events
    group by month_start_date, list_id
),

-- events before the spine (none with the default as-of range) open the first month's list
events_before_spine as (
    select
        list_events.list_id,
        sum(
            case
                when list_events.event_type = 'subscribe' then 1
                when list_events.event_type = 'unsubscribe' then -1
                else 0
            end
        ) as net_subscribers
    from list_events
    where list_events.month_start_date < (select min(months.month_start_date) from months)
    group by list_events.list_id
),

monthly as (
    select
        spine.month_start_date,
        spine.list_id,
        {{ coalesce_if_present('email_list_events', 'event_counts.subscribes') }} as subscribes,
        {{ coalesce_if_present('email_list_events', 'event_counts.unsubscribes') }} as unsubscribes,
        {{ coalesce_if_present('email_list_events', 'events_before_spine.net_subscribers') }} as opening_net_subscribers
    from spine
    left join event_counts
        on
            spine.month_start_date = event_counts.month_start_date
            and spine.list_id = event_counts.list_id
    left join events_before_spine
        on spine.list_id = events_before_spine.list_id
),

cumulated as (
    select
        *,
        opening_net_subscribers + sum(subscribes - unsubscribes) over (
            partition by list_id order by month_start_date
            rows between unbounded preceding and current row
        ) as list_size_at_end
    from monthly
),

sized as (
    select
        month_start_date,
        list_id,
        list_size_at_end - subscribes + unsubscribes as list_size_at_start,
        subscribes,
        unsubscribes,
        list_size_at_end
    from cumulated
),

final as (
    select
        month_start_date,
        list_id,
        cast(list_size_at_start as integer) as list_size_at_start,
        cast(subscribes as integer) as subscribes,
        cast(unsubscribes as integer) as unsubscribes,
        cast(subscribes - unsubscribes as integer) as net_subscribers,
        cast(list_size_at_end as integer) as list_size_at_end,
        -- a start size of 0 (or below, from unsubscribes without subscribe) gives null
        {{ safe_divide(
            'subscribes - unsubscribes',
            'case when list_size_at_start > 0 then list_size_at_start end'
        ) }} as list_growth_rate
    from sized
)

select * from final
