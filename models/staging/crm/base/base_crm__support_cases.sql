with source as (
    select * from {{ source('crm', 'support_cases') }}
),

classified as (
    {{ classify_versions('source', 'case_id', 'updated_at', 'is_deleted') }}
)

select * from classified
