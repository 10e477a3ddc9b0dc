with source as (
    select * from {{ source('crm', 'products') }}
),

classified as (
    {{ classify_versions('source', 'product_id', 'updated_at', 'is_deleted') }}
)

select * from classified
