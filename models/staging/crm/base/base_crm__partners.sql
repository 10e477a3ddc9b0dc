with source as (
    select * from {{ source('crm', 'partners') }}
),

classified as (
    {{ classify_versions('source', 'partner_id', 'updated_at', 'is_deleted') }}
)

select * from classified
