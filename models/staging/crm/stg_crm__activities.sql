with source as (
    select * from {{ ref('base_crm__activities') }}
    where is_latest_version and not is_deleted_version
),

renamed as (
    select
        ---------- ids
        activity_id,
        rep_id,
        account_id,
        contact_id,
        lead_id,
        opportunity_id,
        case_id,
        ---------- strings
        activity_type,
        purpose,
        direction,
        outcome,
        {{ clean_text('subject') }} as subject,
        ---------- numerics
        queue_wait_seconds,
        talk_seconds,
        hold_seconds,
        wrap_seconds,
        ---------- dates and timestamps
        {{ to_utc_timestamp('scheduled_at') }} as scheduled_at,
        {{ to_utc_timestamp('completed_at') }} as completed_at,
        {{ to_utc_timestamp('created_at') }} as created_at,
        {{ to_utc_timestamp('updated_at') }} as updated_at,
        _loaded_at as loaded_at
    from source
)

select * from renamed
