with source as (
    select * from {{ source('crm', 'contacts') }}
),

classified as (
    {{ classify_versions('source', 'contact_id', 'updated_at', 'is_deleted') }}
)

select * from classified
