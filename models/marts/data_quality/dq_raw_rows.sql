{#- One row per row landed in a raw contract table, classified the way the
    staging layer treats it (int_raw_rows_unioned reads the classification of
    every base model). -#}
with unioned as (
    select * from {{ ref('int_raw_rows_unioned') }}
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
