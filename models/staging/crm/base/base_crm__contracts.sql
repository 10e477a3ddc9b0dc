with source as (
    select * from {{ source('crm', 'contracts') }}
),

classified as (
    {{ classify_versions('source', 'contract_id', 'updated_at', 'is_deleted') }}
)

select * from classified
