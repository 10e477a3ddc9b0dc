with source as (
    select * from {{ ref('base_crm__support_cases') }}
    where is_latest_version and not is_deleted_version
),

renamed as (
    select
        ---------- ids
        case_id,
        account_id,
        contact_id,
        owner_rep_id,
        ---------- strings
        case_type,
        {{ map_through_seed('priority') }} as raw_priority,
        channel,
        status,
        ---------- numerics
        reopened_count,
        satisfaction_score,
        ---------- booleans
        sla_met as is_source_sla_met,
        ---------- dates and timestamps
        {{ to_utc_timestamp('opened_at') }} as opened_at,
        {{ to_utc_timestamp('first_response_at') }} as first_response_at,
        {{ to_utc_timestamp('resolved_at') }} as resolved_at,
        {{ to_utc_timestamp('closed_at') }} as closed_at,
        {{ to_utc_timestamp('updated_at') }} as updated_at,
        _loaded_at as loaded_at
    from source
)

select * from renamed
