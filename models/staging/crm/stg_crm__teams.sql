with source as (
    select * from {{ ref('base_crm__teams') }}
    where is_latest_version and not is_deleted_version
),

renamed as (
    select
        ---------- ids
        team_id,
        manager_rep_id,
        ---------- strings
        {{ clean_text('team_name') }} as team_name,
        department,
        {{ clean_text('region') }} as region,
        ---------- dates and timestamps
        {{ to_utc_timestamp('updated_at') }} as updated_at,
        _loaded_at as loaded_at
    from source
)

select * from renamed
