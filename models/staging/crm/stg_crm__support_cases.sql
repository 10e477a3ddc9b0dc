with source as (
    select * from {{ ref('base_crm__support_cases') }}
    where is_latest_version and not is_deleted_version
),

case_priorities as (
    select * from {{ ref('case_priorities') }}
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
),

final as (
    select
        renamed.case_id,
        renamed.account_id,
        renamed.contact_id,
        renamed.owner_rep_id,
        renamed.case_type,
        case_priorities.priority,
        case_priorities.priority_rank,
        case_priorities.first_response_target_hours,
        case_priorities.resolution_target_hours,
        renamed.raw_priority,
        renamed.channel,
        renamed.status,
        renamed.opened_at,
        renamed.first_response_at,
        renamed.resolved_at,
        renamed.closed_at,
        renamed.reopened_count,
        renamed.satisfaction_score,
        renamed.is_source_sla_met,
        renamed.updated_at,
        renamed.loaded_at
    from renamed
    left join case_priorities
        on renamed.raw_priority = case_priorities.raw_priority
)

select * from final
