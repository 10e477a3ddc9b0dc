{#- The data-quality report per load batch and table. -#}
with ledger as (
    select * from {{ ref('stg_crm_loader__load_ledger') }}
),

issues as (
    select * from {{ ref('dq_issues') }}
),

files as (
    select
        batch_id,
        table_name,
        count(*) as files_seen,
        sum(case when status = 'rejected' then 1 else 0 end) as files_rejected,
        sum(rows_landed) as rows_landed,
        sum(rows_loaded) as rows_loaded,
        sum(rows_quarantined) as rows_quarantined
    from ledger
    where table_name is not null
    group by batch_id, table_name
),

quarantine_counts as (
    select
        batch_id,
        table_name,
        sum(case when issue_value = 'missing_key' then records_affected else 0 end) as quarantined_missing_key,
        sum(case when issue_value = 'unparseable_date' then records_affected else 0 end)
            as quarantined_unparseable_date,
        sum(case when issue_value = 'negative_amount' then records_affected else 0 end) as quarantined_negative_amount,
        sum(
            case
                when issue_value not in ('missing_key', 'unparseable_date', 'negative_amount') then records_affected
                else 0
            end
        ) as quarantined_other
    from issues
    where issue_type = 'quarantined_row'
    group by batch_id, table_name
),

issue_counts as (
    select
        batch_id,
        table_name,
        sum(case when issue_type = 'exact_duplicate' then records_affected else 0 end) as exact_duplicates,
        sum(case when issue_type = 'superseded_version' then records_affected else 0 end) as superseded_versions,
        sum(case when issue_type = 'soft_deleted_record' then records_affected else 0 end) as soft_deleted_records,
        sum(case when issue_type = 'duplicate_submission' then records_affected else 0 end) as duplicate_submissions,
        sum(case when issue_type = 'invalid_email' then records_affected else 0 end) as invalid_emails,
        sum(case when issue_type = 'invalid_phone' then records_affected else 0 end) as invalid_phones,
        sum(case when issue_type = 'unmapped_value' then records_affected else 0 end) as unmapped_values,
        sum(case when issue_type = 'missing_reference' then records_affected else 0 end) as missing_references,
        sum(case when issue_type = 'deleted_reference' then records_affected else 0 end) as deleted_references,
        sum(
            case when issue_type = 'missing_value' and column_name = 'lead_source' then records_affected else 0 end
        ) as missing_lead_sources,
        sum(
            case when issue_type = 'missing_value' and column_name = 'stage_name' then records_affected else 0 end
        ) as missing_stages,
        sum(
            case when issue_type = 'missing_value' and column_name = 'owner_rep_id' then records_affected else 0 end
        ) as missing_owners
    from issues
    where issue_type != 'quarantined_row'
    group by batch_id, table_name
),

batches as (
    select
        batch_id,
        table_name
    from files
    union
    select
        batch_id,
        table_name
    from quarantine_counts
    union
    select
        batch_id,
        table_name
    from issue_counts
),

final as (
    select
        batches.batch_id || '|' || batches.table_name as load_summary_key,
        batches.batch_id,
        batches.table_name,
        cast(coalesce(files.files_seen, 0) as integer) as files_seen,
        cast(coalesce(files.files_rejected, 0) as integer) as files_rejected,
        cast(coalesce(files.rows_landed, 0) as bigint) as rows_landed,
        cast(coalesce(files.rows_loaded, 0) as bigint) as rows_loaded,
        cast(coalesce(files.rows_quarantined, 0) as bigint) as rows_quarantined,
        cast(coalesce(quarantine_counts.quarantined_missing_key, 0) as bigint) as quarantined_missing_key,
        cast(coalesce(quarantine_counts.quarantined_unparseable_date, 0) as bigint) as quarantined_unparseable_date,
        cast(coalesce(quarantine_counts.quarantined_negative_amount, 0) as bigint) as quarantined_negative_amount,
        cast(coalesce(quarantine_counts.quarantined_other, 0) as bigint) as quarantined_other,
        cast(coalesce(issue_counts.exact_duplicates, 0) as bigint) as exact_duplicates,
        cast(coalesce(issue_counts.superseded_versions, 0) as bigint) as superseded_versions,
        cast(coalesce(issue_counts.soft_deleted_records, 0) as bigint) as soft_deleted_records,
        cast(coalesce(issue_counts.duplicate_submissions, 0) as bigint) as duplicate_submissions,
        cast(coalesce(issue_counts.invalid_emails, 0) as bigint) as invalid_emails,
        cast(coalesce(issue_counts.invalid_phones, 0) as bigint) as invalid_phones,
        cast(coalesce(issue_counts.unmapped_values, 0) as bigint) as unmapped_values,
        cast(coalesce(issue_counts.missing_references, 0) as bigint) as missing_references,
        cast(coalesce(issue_counts.deleted_references, 0) as bigint) as deleted_references,
        cast(coalesce(issue_counts.missing_lead_sources, 0) as bigint) as missing_lead_sources,
        cast(coalesce(issue_counts.missing_stages, 0) as bigint) as missing_stages,
        cast(coalesce(issue_counts.missing_owners, 0) as bigint) as missing_owners
    from batches
    left join files
        on
            batches.batch_id = files.batch_id
            and batches.table_name = files.table_name
    left join quarantine_counts
        on
            batches.batch_id = quarantine_counts.batch_id
            and batches.table_name = quarantine_counts.table_name
    left join issue_counts
        on
            batches.batch_id = issue_counts.batch_id
            and batches.table_name = issue_counts.table_name
)

select * from final
