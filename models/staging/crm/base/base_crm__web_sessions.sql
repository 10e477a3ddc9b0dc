with classified as (
    {{ classify_table_versions(source('crm', 'web_sessions'), 'session_id') }}
)

-- every raw column as landed: the raw contract (_crm__sources.yml) lists them
select * from classified  -- noqa: AM04
