with source as (
    select * from {{ source('crm', 'reps') }}
),

classified as (
    {{ classify_versions('source', 'rep_id', 'updated_at', 'is_deleted') }}
)

select * from classified
