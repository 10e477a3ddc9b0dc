with source as (
    select * from {{ source('crm_loader', '_load_ledger') }}
),

renamed as (
    select
        ---------- ids
        file_hash,
        batch_id,
        ---------- strings
        source_file,
        table_name,
        status,
        message,
        ---------- numerics
        rows_landed,
        rows_loaded,
        rows_quarantined,
        ---------- dates and timestamps
        started_at,
        finished_at
    from source
)

select * from renamed
