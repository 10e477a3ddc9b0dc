with source as (
    select * from {{ source('crm', 'accounts') }}
),

classified as (
    {{ classify_versions('source', 'account_id', 'updated_at', 'is_deleted') }}
)

select * from classified
