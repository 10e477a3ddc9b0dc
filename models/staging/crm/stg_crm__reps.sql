with source as (
    select * from {{ ref('base_crm__reps') }}
    where is_latest_version and not is_deleted_version
),

renamed as (
    select
        ---------- ids
        rep_id,
        team_id,
        manager_rep_id,
        ---------- strings
        {{ clean_text('rep_name') }} as rep_name,
        {{ normalize_email('email') }} as email,
        role,
        ---------- dates and timestamps
        hired_date,
        left_date,
        {{ to_utc_timestamp('updated_at') }} as updated_at,
        _loaded_at as loaded_at
    from source
),

final as (
    select
        *,
        ---------- booleans
        {{ is_valid_email('email') }} as is_valid_email
    from renamed
)

select * from final
