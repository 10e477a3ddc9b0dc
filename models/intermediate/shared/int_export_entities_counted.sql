{#- One row per entity (raw contract table): how many records staging keeps
    (the latest, non-deleted version of each key, as classified once in the
    base models) and whether the export has the entity at all. KPIs fed by an
    absent entity are null, not zero (macro if_entities_present). -#}
with raw_rows as (
    select * from {{ ref('int_raw_rows_unioned') }}
),

entities as (
    {%- for table_name in crm_contract_table_names() %}
        select '{{ table_name }}' as entity_name
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
),

counted as (
    select
        entities.entity_name,
        count(raw_rows.table_name) as record_count
    from entities
    left join raw_rows
        on
            entities.entity_name = raw_rows.table_name
            and raw_rows.is_latest_version
            and not raw_rows.is_deleted_version
    group by entities.entity_name
),

final as (
    select
        entity_name,
        cast(record_count as bigint) as record_count,
        record_count > 0 as is_present
    from counted
)

select * from final
