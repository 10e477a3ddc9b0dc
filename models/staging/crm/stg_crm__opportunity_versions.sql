{#- Every version of every opportunity the loader landed (all raw rows, soft
    deletes and superseded versions included), cleaned as
    stg_crm__opportunities cleans the latest one: the raw log the
    opportunity history (int_opportunity_versions_collapsed) is read from.
    A full table on every build: the raw table keeps every landed row, so
    the history is rebuilt from it and survives a full refresh. -#}
with source as (
    select * from {{ ref('base_crm__opportunities') }}
),

renamed as (
    select
        ---------- ids
        opportunity_id,
        owner_rep_id,
        _source_file as source_file,
        cast(_source_row as bigint) as source_row,
        ---------- strings
        {{ map_through_seed('stage_name') }} as raw_stage_name,
        upper(trim(currency_code)) as currency_code,
        {{ map_through_seed('forecast_category') }} as forecast_category,
        ---------- numerics
        cast(amount as decimal(18, 2)) as amount_local,
        ---------- booleans
        coalesce(is_deleted, false) as is_deleted,
        ---------- dates and timestamps
        {{ to_utc_timestamp('created_at') }} as created_at,
        expected_close_date,
        {{ to_utc_timestamp('closed_at') }} as closed_at,
        {{ to_utc_timestamp('updated_at') }} as updated_at,
        _loaded_at as loaded_at
    from source
)

select * from renamed
