{#- One row per row the loader quarantined (raw._quarantine holds one row per
    failed rule), with the reason category the data-quality report uses:
    missing_key (the primary key is blank), unparseable_date (a date or
    timestamp that does not parse), negative_amount (a value below a
    min_value of 0), else the failed rule (accepted_values, pattern, unique,
    required, type, unparseable, min_value). A row failing several rules
    takes the first category in that order. -#}

with quarantine as (
    select * from {{ ref('stg_crm_loader__quarantine') }}
),

categorised as (
    select
        batch_id,
        source_file,
        table_name,
        source_row,
        column_name,
        rule,
        {{ dq_quarantine_reason('table_name', 'column_name', 'rule', 'raw_value') }} as quarantine_reason
    from quarantine
),

ranked as (
    select
        *,
        row_number() over (
            partition by source_file, source_row
            order by
                case quarantine_reason
                    when 'missing_key' then 1
                    when 'unparseable_date' then 2
                    when 'negative_amount' then 3
                    else 4
                end,
                quarantine_reason,
                column_name
        ) as reason_rank,
        count(*) over (partition by source_file, source_row) as failed_rules
    from categorised
),

final as (
    select
        table_name || '|' || source_file || '|' || cast(source_row as {{ dbt.type_string() }}) as quarantined_row_key,
        table_name,
        batch_id,
        source_file,
        source_row,
        quarantine_reason,
        column_name,
        rule,
        cast(failed_rules as integer) as failed_rules
    from ranked
    where reason_rank = 1
)

select * from final
