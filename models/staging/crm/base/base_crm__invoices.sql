with source as (
    select * from {{ source('crm', 'invoices') }}
),

classified as (
    {{ classify_versions('source', 'invoice_id', 'updated_at', 'is_deleted') }}
)

select * from classified
