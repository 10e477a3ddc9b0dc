with source as (
    select * from {{ ref('base_crm__web_sessions') }}
    where is_latest_version and not is_deleted_version
),

renamed as (
    select
        ---------- ids
        session_id,
        visitor_id,
        lead_id,
        ---------- strings
        {{ map_through_seed('traffic_source') }} as traffic_source,
        {{ clean_text('landing_page') }} as landing_page,
        ---------- numerics
        duration_seconds,
        page_views,
        ---------- booleans
        goal_completed as is_goal_completed,
        ---------- dates and timestamps
        {{ to_utc_timestamp('started_at') }} as started_at,
        _loaded_at as loaded_at
    from source
)

select * from renamed
