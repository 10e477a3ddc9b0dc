{#- One row per foreign key of the raw contract (the relationships tests of
    the staging models): how many kept records point to a key that no loaded
    row of the referenced table has, or to a soft-deleted one, and whether the
    export lacks the referenced entity altogether (then the tests pass and
    this is where the dangling references are counted). -#}
{%- set foreign_keys = crm_foreign_keys() %}

with record_issues as (
    select * from {{ ref('dq_record_issues') }}
),

entities as (
    select * from {{ ref('int_export_entities_counted') }}
),

foreign_keys as (
    {#- (an if around the loop, not a for-else: sqlfluff's dbt templater
        cannot slice a for-else and would leave the file unlinted) #}
    {%- if foreign_keys %}
        {%- for fk in foreign_keys %}
            select
                '{{ fk.table }}' as table_name,
                '{{ fk.column }}' as column_name,
                '{{ fk.parent_table }}' as referenced_table_name,
                '{{ fk.parent_column }}' as referenced_column_name
            {%- if not loop.last %}
                union all
            {%- endif %}
        {%- endfor %}
    {%- else %}
        select
            cast(null as {{ dbt.type_string() }}) as table_name,
            cast(null as {{ dbt.type_string() }}) as column_name,
            cast(null as {{ dbt.type_string() }}) as referenced_table_name,
            cast(null as {{ dbt.type_string() }}) as referenced_column_name
        where false
    {%- endif %}
),

dangling as (
    select
        table_name,
        column_name,
        sum(case when issue_type = 'missing_reference' then 1 else 0 end) as missing_reference_records,
        count(distinct case when issue_type = 'missing_reference' then issue_value end)
            as missing_reference_values,
        sum(case when issue_type = 'deleted_reference' then 1 else 0 end) as deleted_reference_records
    from record_issues
    where issue_type in ('missing_reference', 'deleted_reference')
    group by table_name, column_name
),

final as (
    select
        foreign_keys.table_name || '.' || foreign_keys.column_name as foreign_key,
        foreign_keys.table_name,
        foreign_keys.column_name,
        foreign_keys.referenced_table_name,
        foreign_keys.referenced_column_name,
        cast(coalesce(referencing_entities.record_count, 0) as bigint) as records,
        cast(coalesce(dangling.missing_reference_records, 0) as bigint) as missing_reference_records,
        cast(coalesce(dangling.missing_reference_values, 0) as bigint) as missing_reference_values,
        cast(coalesce(dangling.deleted_reference_records, 0) as bigint) as deleted_reference_records,
        cast(coalesce(referenced_entities.record_count, 0) as bigint) as referenced_records,
        not coalesce(referenced_entities.is_present, false) as is_referenced_entity_absent
    from foreign_keys
    left join dangling
        on
            foreign_keys.table_name = dangling.table_name
            and foreign_keys.column_name = dangling.column_name
    left join entities as referencing_entities
        on foreign_keys.table_name = referencing_entities.entity_name
    left join entities as referenced_entities
        on foreign_keys.referenced_table_name = referenced_entities.entity_name
)

select * from final
