{#- Every kind of issue per load batch and table, in one long table: how many
    rows or records each batch brought with each issue. -#}
with raw_rows as (
    select * from {{ ref('dq_raw_rows') }}
),

record_issues as (
    select * from {{ ref('dq_record_issues') }}
),

quarantined_rows as (
    select * from {{ ref('dq_quarantined_rows') }}
),

row_issues as (
    select
        batch_id,
        table_name,
        'exact_duplicate' as issue_type,
        cast(null as {{ dbt.type_string() }}) as column_name,
        cast(null as {{ dbt.type_string() }}) as issue_value,
        count(*) as records_affected
    from raw_rows
    where is_exact_duplicate
    group by batch_id, table_name

    union all

    select
        batch_id,
        table_name,
        'superseded_version' as issue_type,
        null as column_name,
        null as issue_value,
        count(*) as records_affected
    from raw_rows
    where is_superseded_version
    group by batch_id, table_name

    union all

    select
        batch_id,
        table_name,
        'soft_deleted_record' as issue_type,
        null as column_name,
        null as issue_value,
        count(*) as records_affected
    from raw_rows
    where is_soft_deleted_record
    group by batch_id, table_name
),

quarantine_issues as (
    select
        batch_id,
        table_name,
        'quarantined_row' as issue_type,
        column_name,
        quarantine_reason as issue_value,
        count(*) as records_affected
    from quarantined_rows
    group by batch_id, table_name, column_name, quarantine_reason
),

-- values are kept for unmapped enumerations (what to add to a seed); for the
-- rest the value is a key or personal data, so only the column is reported
grouped_record_issues as (
    select
        batch_id,
        table_name,
        issue_type,
        column_name,
        case when issue_type = 'unmapped_value' then issue_value end as issue_value,
        count(*) as records_affected
    from record_issues
    group by
        batch_id,
        table_name,
        issue_type,
        column_name,
        case when issue_type = 'unmapped_value' then issue_value end
),

unioned as (
    select * from row_issues
    union all
    select * from quarantine_issues
    union all
    select * from grouped_record_issues
),

final as (
    select
        batch_id || '|' || table_name || '|' || issue_type || '|' || coalesce(column_name, '') || '|'
        || coalesce(issue_value, '') as issue_key,
        batch_id,
        table_name,
        issue_type,
        column_name,
        issue_value,
        cast(records_affected as bigint) as records_affected
    from unioned
)

select * from final
