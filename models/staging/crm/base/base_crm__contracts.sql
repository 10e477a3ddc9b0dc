with classified as (
    {{ classify_table_versions(source('crm', 'contracts'), 'contract_id', 'updated_at', 'is_deleted') }}
)

-- every raw column as landed: the raw contract (_crm__sources.yml) lists them
select * from classified  -- noqa: AM04
