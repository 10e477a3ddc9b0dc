with source as (
    select * from {{ source('crm', 'campaigns') }}
),

classified as (
    {{ classify_versions('source', 'campaign_id', 'updated_at', 'is_deleted') }}
)

select * from classified
