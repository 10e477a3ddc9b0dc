{#- One row per entity (raw contract table): how many records staging keeps
    and whether the export has the entity at all. KPIs fed by an absent entity
    are null, not zero (macro if_entities_present). -#}
with counted as (
    {%- for table_name in crm_contract_table_names() %}
        select
            '{{ table_name }}' as entity_name,
            count(*) as record_count
        from {{ ref('stg_crm__' ~ table_name) }}
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
),

final as (
    select
        entity_name,
        cast(record_count as bigint) as record_count,
        record_count > 0 as is_present
    from counted
)

select * from final
