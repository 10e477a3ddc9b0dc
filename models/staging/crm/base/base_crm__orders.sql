with source as (
    select * from {{ source('crm', 'orders') }}
),

classified as (
    {{ classify_versions('source', 'order_id', 'updated_at', 'is_deleted') }}
)

select * from classified
