with source as (
    select * from {{ source('crm', 'teams') }}
),

classified as (
    {{ classify_versions('source', 'team_id', 'updated_at', 'is_deleted') }}
)

select * from classified
