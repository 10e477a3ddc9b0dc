with source as (
    select * from {{ source('crm', 'quotes') }}
),

classified as (
    {{ classify_versions('source', 'quote_id', 'updated_at', 'is_deleted') }}
)

select * from classified
