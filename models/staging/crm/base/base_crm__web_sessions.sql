with source as (
    select * from {{ source('crm', 'web_sessions') }}
),

classified as (
    {{ classify_versions('source', 'session_id') }}
)

select * from classified
