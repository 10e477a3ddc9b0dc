with source as (
    select * from {{ source('crm', 'campaign_members') }}
),

classified as (
    {{ classify_versions('source', 'campaign_member_id', 'updated_at') }}
)

-- every raw column as landed: the raw contract (_crm__sources.yml) lists them
select * from classified  -- noqa: AM04
