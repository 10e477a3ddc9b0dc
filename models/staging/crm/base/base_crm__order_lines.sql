with classified as (
    {{ classify_table_versions(source('crm', 'order_lines'), 'order_line_id', 'updated_at') }}
)

-- every raw column as landed: the raw contract (_crm__sources.yml) lists them
select * from classified  -- noqa: AM04
