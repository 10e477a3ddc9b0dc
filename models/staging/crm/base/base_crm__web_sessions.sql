with source as (
    select * from {{ source('crm', 'web_sessions') }}
),

classified as (
    {{ classify_versions('source', 'session_id') }}
)

-- every raw column as landed: the raw contract (_crm__sources.yml) lists them
select * from classified  -- noqa: AM04
