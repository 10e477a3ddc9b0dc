{#- One row per website session. Append-only and the largest marketing table,
    so incremental: a run takes the sessions loaded since the newest it holds
    minus a lookback window (macro events_loaded_since) and upserts them on
    session_id (strategy per adapter: events_incremental_strategy). -#}
{{ config(
    materialized='incremental',
    unique_key='session_id',
    incremental_strategy=events_incremental_strategy(),
    on_schema_change='append_new_columns',
) }}

with web_sessions as (
    select * from {{ ref('stg_crm__web_sessions') }}
),

changed as (
    select * from web_sessions
    {{ events_incremental_filter('session_id', 'web_sessions.loaded_at') }}
),

final as (
    select
        ---------- ids
        session_id,
        visitor_id,
        lead_id,
        ---------- attributes
        coalesce(traffic_source, 'unknown') as traffic_source,
        landing_page,
        ---------- measures
        duration_seconds,
        page_views,
        coalesce(is_goal_completed, false) as is_goal_completed,
        ---------- timestamps and dates
        started_at,
        cast(started_at as date) as started_date,
        cast({{ dbt.date_trunc('month', 'started_at') }} as date) as started_month_start_date,
        loaded_at
    from changed
)

select * from final
