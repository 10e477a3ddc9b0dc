{#- Raw enumeration values no seed maps, with how many records (or, for the
    stage history, rows) carry them: what to add to seeds/ or fix in the CRM. -#}
with record_issues as (
    select * from {{ ref('dq_record_issues') }}
),

final as (
    select
        table_name || '.' || column_name || '|' || issue_value as unmapped_value_key,
        table_name,
        column_name,
        issue_value as raw_value,
        cast(count(*) as bigint) as records,
        min(batch_id) as first_batch_id,
        max(batch_id) as last_batch_id
    from record_issues
    where issue_type = 'unmapped_value'
    group by table_name, column_name, issue_value
)

select * from final
