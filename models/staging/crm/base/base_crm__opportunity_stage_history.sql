with source as (
    select * from {{ source('crm', 'opportunity_stage_history') }}
),

classified as (
    {{ classify_versions('source', 'stage_history_id') }}
)

-- every raw column as landed: the raw contract (_crm__sources.yml) lists them
select * from classified  -- noqa: AM04
