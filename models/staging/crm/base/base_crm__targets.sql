with source as (
    select * from {{ source('crm', 'targets') }}
),

classified as (
    {{ classify_versions('source', 'target_id', 'updated_at') }}
)

select * from classified
