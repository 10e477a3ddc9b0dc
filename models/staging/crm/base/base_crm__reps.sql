with source as (
    select * from {{ source('crm', 'reps') }}
),

classified as (
    {{ classify_versions('source', 'rep_id', 'updated_at', 'is_deleted') }}
)

-- every raw column as landed: the raw contract (_crm__sources.yml) lists them
select * from classified  -- noqa: AM04
