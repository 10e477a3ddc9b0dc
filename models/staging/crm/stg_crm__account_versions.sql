{#- Every version of every account the loader landed (all raw rows, soft
    deletes and superseded versions included), cleaned as stg_crm__accounts
    cleans the latest one: the raw log the account history
    (int_account_versions_collapsed) is read from. -#}
with source as (
    select * from {{ ref('base_crm__accounts') }}
),

renamed as (
    select
        ---------- ids
        account_id,
        owner_rep_id,
        _source_file as source_file,
        cast(_source_row as bigint) as source_row,
        ---------- strings
        {{ clean_text('industry') }} as industry,
        {{ clean_text('region') }} as region,
        ---------- numerics
        employee_count,
        ---------- booleans
        coalesce(is_deleted, false) as is_deleted,
        ---------- dates and timestamps
        {{ to_utc_timestamp('updated_at') }} as updated_at,
        _loaded_at as loaded_at
    from source
)

select * from renamed
