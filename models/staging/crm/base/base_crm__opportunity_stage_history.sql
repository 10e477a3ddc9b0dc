with classified as (
    {{ classify_table_versions(source('crm', 'opportunity_stage_history'), 'stage_history_id') }}
)

-- every raw column as landed: the raw contract (_crm__sources.yml) lists them
select * from classified  -- noqa: AM04
