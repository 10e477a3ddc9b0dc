with source as (
    select * from {{ source('crm', 'campaign_members') }}
),

classified as (
    {{ classify_versions('source', 'campaign_member_id', 'updated_at') }}
)

select * from classified
