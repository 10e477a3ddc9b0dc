{#- One row per row landed in a raw contract table, classified the way the
    staging layer treats it. Key, version column, soft delete and columns come
    from the raw contract (source YAML) at run time. -#}
{%- for table_name in crm_contract_table_names() %}
-- depends_on: {{ source('crm', table_name) }}
{%- endfor %}

with unioned as (
    {%- for table_name in crm_contract_table_names() %}
        {{ dq_classify_raw_rows(table_name) }}
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
),

final as (
    select
        table_name || '|' || source_file || '|' || cast(source_row as {{ dbt.type_string() }}) as raw_row_key,
        table_name,
        batch_id,
        source_file,
        source_row,
        loaded_at,
        record_id,
        is_exact_duplicate,
        has_later_version and not is_exact_duplicate as is_superseded_version,
        is_latest_version,
        is_deleted_version,
        is_latest_version and is_deleted_version as is_soft_deleted_record
    from unioned
)

select * from final
