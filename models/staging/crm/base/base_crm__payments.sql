with source as (
    select * from {{ source('crm', 'payments') }}
),

classified as (
    {{ classify_versions('source', 'payment_id', 'updated_at', 'is_deleted') }}
)

select * from classified
