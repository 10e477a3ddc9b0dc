with source as (
    select * from {{ ref('base_crm__opportunity_stage_history') }}
    where is_latest_version and not is_deleted_version
),

renamed as (
    select
        ---------- ids
        stage_history_id,
        opportunity_id,
        changed_by_rep_id,
        ---------- strings
        {{ map_through_seed('stage_name') }} as raw_stage_name,
        ---------- numerics
        cast(amount as decimal(18, 2)) as amount_local,
        ---------- dates and timestamps
        {{ to_utc_timestamp('entered_at') }} as entered_at,
        _loaded_at as loaded_at
    from source
)

select * from renamed
