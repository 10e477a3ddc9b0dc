with source as (
    select * from {{ source('crm', 'opportunity_stage_history') }}
),

classified as (
    {{ classify_versions('source', 'stage_history_id') }}
)

select * from classified
