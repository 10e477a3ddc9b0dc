with source as (
    select * from {{ ref('base_crm__campaign_members') }}
    where is_latest_version and not is_deleted_version
),

renamed as (
    select
        ---------- ids
        campaign_member_id,
        campaign_id,
        lead_id,
        contact_id,
        ---------- strings
        case
            when lead_id is not null then 'lead'
            when contact_id is not null then 'contact'
        end as member_type,
        ---------- booleans
        responded_at is not null as has_responded,
        ---------- dates and timestamps
        {{ to_utc_timestamp('added_at') }} as added_at,
        {{ to_utc_timestamp('sent_at') }} as sent_at,
        {{ to_utc_timestamp('responded_at') }} as responded_at,
        {{ to_utc_timestamp('updated_at') }} as updated_at,
        _loaded_at as loaded_at
    from source
)

select * from renamed
