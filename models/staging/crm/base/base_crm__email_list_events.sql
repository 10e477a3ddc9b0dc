with source as (
    select * from {{ source('crm', 'email_list_events') }}
),

classified as (
    {{ classify_versions('source', 'event_id') }}
)

-- every raw column as landed: the raw contract (_crm__sources.yml) lists them
select * from classified  -- noqa: AM04
