{#- Totals per raw table over every batch loaded: the numbers to compare with
    the demo generator's report (_generation_report.json) for the same seed. -#}
with load_summary as (
    select * from {{ ref('dq_load_summary') }}
),

raw_rows as (
    select * from {{ ref('dq_raw_rows') }}
),

records as (
    -- a key has exactly one latest version (classify_versions: row_number() = 1
    -- over the key), so its latest rows count its distinct keys without the
    -- count(distinct) of every raw row's key (1 s at scale 10)
    select
        table_name,
        count(*) as rows_in_raw,
        sum(case when is_latest_version then 1 else 0 end) as records,
        sum(case when is_latest_version and not is_deleted_version then 1 else 0 end) as records_kept
    from raw_rows
    group by table_name
),

totals as (
    select
        table_name,
        sum(files_seen) as files_seen,
        sum(files_rejected) as files_rejected,
        sum(rows_landed) as rows_landed,
        sum(rows_loaded) as rows_loaded,
        sum(rows_quarantined) as rows_quarantined,
        sum(quarantined_missing_key) as quarantined_missing_key,
        sum(quarantined_unparseable_date) as quarantined_unparseable_date,
        sum(quarantined_negative_amount) as quarantined_negative_amount,
        sum(quarantined_other) as quarantined_other,
        sum(exact_duplicates) as exact_duplicates,
        sum(superseded_versions) as superseded_versions,
        sum(soft_deleted_records) as soft_deleted_records,
        sum(duplicate_submissions) as duplicate_submissions,
        sum(invalid_emails) as invalid_emails,
        sum(invalid_phones) as invalid_phones,
        sum(unmapped_values) as unmapped_values,
        sum(missing_references) as missing_references,
        sum(deleted_references) as deleted_references,
        sum(missing_lead_sources) as missing_lead_sources,
        sum(missing_stages) as missing_stages,
        sum(missing_owners) as missing_owners
    from load_summary
    group by table_name
),

final as (
    select
        totals.table_name,
        cast(totals.files_seen as integer) as files_seen,
        cast(totals.files_rejected as integer) as files_rejected,
        cast(totals.rows_landed as bigint) as rows_landed,
        cast(totals.rows_quarantined as bigint) as rows_quarantined,
        cast(totals.quarantined_missing_key as bigint) as quarantined_missing_key,
        cast(totals.quarantined_unparseable_date as bigint) as quarantined_unparseable_date,
        cast(totals.quarantined_negative_amount as bigint) as quarantined_negative_amount,
        cast(totals.quarantined_other as bigint) as quarantined_other,
        cast(totals.rows_loaded as bigint) as rows_loaded,
        cast(coalesce(records.rows_in_raw, 0) as bigint) as rows_in_raw,
        cast(totals.exact_duplicates as bigint) as exact_duplicates,
        cast(totals.superseded_versions as bigint) as superseded_versions,
        cast(coalesce(records.records, 0) as bigint) as records,
        cast(totals.soft_deleted_records as bigint) as soft_deleted_records,
        cast(coalesce(records.records_kept, 0) as bigint) as records_kept,
        cast(totals.duplicate_submissions as bigint) as duplicate_submissions,
        cast(totals.invalid_emails as bigint) as invalid_emails,
        cast(totals.invalid_phones as bigint) as invalid_phones,
        cast(totals.unmapped_values as bigint) as unmapped_values,
        cast(totals.missing_references as bigint) as missing_references,
        cast(totals.deleted_references as bigint) as deleted_references,
        cast(totals.missing_lead_sources as bigint) as missing_lead_sources,
        cast(totals.missing_stages as bigint) as missing_stages,
        cast(totals.missing_owners as bigint) as missing_owners
    from totals
    left join records
        on totals.table_name = records.table_name
)

select * from final
