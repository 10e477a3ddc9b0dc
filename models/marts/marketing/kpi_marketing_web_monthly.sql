{#- M7 web sessions: page views, mean time per visit, goal completion rate;
    one row per month and traffic source. -#}
with months as (
    select * from {{ ref('int_months') }}
),

web_sessions as (
    select
        coalesce(traffic_source, 'unknown') as traffic_source,
        cast({{ dbt.date_trunc('month', 'started_at') }} as date) as month_start_date,
        page_views,
        duration_seconds,
        is_goal_completed
    from {{ ref('fct_web_sessions') }}
),

source_members as (
    select distinct traffic_source from web_sessions
),

spine as (
    select
        months.month_start_date,
        source_members.traffic_source
    from months
    cross join source_members
),

session_counts as (
    select
        month_start_date,
        traffic_source,
        count(*) as sessions,
        sum(page_views) as page_views,
        sum(cast(duration_seconds as bigint)) as duration_seconds,
        sum(case when is_goal_completed then 1 else 0 end) as goal_completions
    from web_sessions
    group by month_start_date, traffic_source
),

monthly as (
    select
        spine.month_start_date,
        spine.traffic_source,
        cast({{ coalesce_if_present('web_sessions', 'session_counts.sessions') }} as integer) as sessions,
        cast({{ coalesce_if_present('web_sessions', 'session_counts.page_views') }} as integer) as page_views,
        cast({{ coalesce_if_present('web_sessions', 'session_counts.duration_seconds') }} as bigint)
            as duration_seconds,
        cast({{ coalesce_if_present('web_sessions', 'session_counts.goal_completions') }} as integer)
            as goal_completions
    from spine
    left join session_counts
        on
            spine.month_start_date = session_counts.month_start_date
            and spine.traffic_source = session_counts.traffic_source
),

final as (
    select
        month_start_date,
        traffic_source,
        sessions,
        page_views,
        duration_seconds,
        {{ safe_divide('duration_seconds', 'sessions', 'decimal(18,2)') }} as duration_seconds_per_session,
        {{ safe_divide('page_views', 'sessions') }} as page_views_per_session,
        goal_completions,
        {{ safe_divide('goal_completions', 'sessions') }} as goal_completion_rate
    from monthly
)

select * from final
