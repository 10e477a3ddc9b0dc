{#- One row per row landed in a raw contract table, classified the way the
    staging layer treats it (int_raw_rows_unioned reads the classification of
    every base model).
    Incremental where the adapter can replace rows by key (macro
    keyed_incremental_materialization): a run takes every row of the records
    (table, record id) that received a row since the newest loaded_at it
    holds minus var incremental_lookback_minutes, and replaces them on
    raw_row_key (a new version reclassifies the record's older rows). -#}
{{ config(
    materialized=keyed_incremental_materialization(),
    unique_key='raw_row_key',
    incremental_strategy='delete+insert',
    on_schema_change='fail',
) }}

with unioned as (
    select * from {{ ref('int_raw_rows_unioned') }}
),

{% if is_incremental() %}
touched_records as (
    select distinct
        table_name,
        record_id
    from unioned
    where
        {{ incremental_loaded_since() }} is null
        or loaded_at >= {{ incremental_loaded_since() }}
),
{% endif %}

changed as (
    select unioned.*
    from unioned
    {% if is_incremental() %}
        inner join touched_records
            on
                unioned.table_name = touched_records.table_name
                and unioned.record_id = touched_records.record_id
    {% endif %}
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
    from changed
)

select * from final
