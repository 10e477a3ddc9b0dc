with source as (
    select * from {{ source('crm', 'email_list_events') }}
),

classified as (
    {{ classify_versions('source', 'event_id') }}
)

select * from classified
