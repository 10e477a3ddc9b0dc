{#- Which entities of the raw contract this export has: one row per raw
    table, with what landed, what the loader kept and why an absent entity
    is absent. KPIs fed only by absent entities are null (not zero); the
    refresh summary and the dashboard read this table to say so. -#}
with entities as (
    select * from {{ ref('int_export_entities_counted') }}
),

table_summary as (
    select * from {{ ref('dq_table_summary') }}
),

final as (
    select
        entities.entity_name,
        cast(coalesce(table_summary.rows_landed, 0) as bigint) as rows_landed,
        cast(coalesce(table_summary.rows_loaded, 0) as bigint) as rows_loaded,
        entities.record_count as records_kept,
        entities.is_present,
        case
            when entities.is_present then null
            when coalesce(table_summary.rows_landed, 0) = 0 then 'not in this export'
            when coalesce(table_summary.rows_loaded, 0) = 0 then 'every row quarantined'
            else 'every record deleted'
        end as absence_reason
    from entities
    left join table_summary
        on entities.entity_name = table_summary.table_name
)

select * from final
