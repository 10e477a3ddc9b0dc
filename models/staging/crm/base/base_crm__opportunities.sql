with source as (
    select * from {{ source('crm', 'opportunities') }}
),

classified as (
    {{ classify_versions('source', 'opportunity_id', 'updated_at', 'is_deleted') }}
)

select * from classified
