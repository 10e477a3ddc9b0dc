with source as (
    select * from {{ source('crm', 'targets') }}
),

classified as (
    {{ classify_versions('source', 'target_id', 'updated_at') }}
)

-- every raw column as landed: the raw contract (_crm__sources.yml) lists them
select * from classified  -- noqa: AM04
