with source as (
    select * from {{ source('crm', 'activities') }}
),

classified as (
    {{ classify_versions('source', 'activity_id', 'updated_at', 'is_deleted') }}
)

select * from classified
