with source as (
    select * from {{ source('crm', 'opportunities') }}
),

classified as (
    {{ classify_versions('source', 'opportunity_id', 'updated_at', 'is_deleted') }}
)

-- every raw column as landed: the raw contract (_crm__sources.yml) lists them
select * from classified  -- noqa: AM04
