with source as (
    {{ latest_versions(source('crm', 'teams'), 'team_id', 'updated_at', 'is_deleted') }}
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
