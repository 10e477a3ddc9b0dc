with source as (
    select * from {{ source('crm', 'order_lines') }}
),

classified as (
    {{ classify_versions('source', 'order_line_id', 'updated_at') }}
)

select * from classified
