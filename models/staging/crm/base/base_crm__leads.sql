with source as (
    select * from {{ source('crm', 'leads') }}
),

classified as (
    {{ classify_versions('source', 'lead_id', 'updated_at', 'is_deleted') }}
)

select * from classified
