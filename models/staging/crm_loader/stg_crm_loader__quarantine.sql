with source as (
    select * from {{ source('crm_loader', '_quarantine') }}
),

-- raw_record (the whole rejected row as JSON, personal data included) stays
-- in raw: no model reads it
renamed as (
    select
        ---------- ids
        batch_id,
        file_hash,
        ---------- strings
        source_file,
        table_name,
        column_name,
        rule,
        reason,
        raw_value,
        ---------- numerics
        source_row,
        ---------- dates and timestamps
        quarantined_at
    from source
)

select * from renamed
