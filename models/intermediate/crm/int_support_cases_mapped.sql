{#- Support cases with the canonical priority and the SLA targets of the seed
    case_priorities, matched on the lower-cased, trimmed raw priority. -#}
with staged as (
    select * from {{ ref('stg_crm__support_cases') }}
),

case_priorities as (
    select * from {{ ref('case_priorities') }}
),

final as (
    select
        staged.case_id,
        staged.account_id,
        staged.contact_id,
        staged.owner_rep_id,
        staged.case_type,
        case_priorities.priority,
        case_priorities.priority_rank,
        case_priorities.first_response_target_hours,
        case_priorities.resolution_target_hours,
        staged.raw_priority,
        staged.channel,
        staged.status,
        staged.opened_at,
        staged.first_response_at,
        staged.resolved_at,
        staged.closed_at,
        staged.reopened_count,
        staged.satisfaction_score,
        staged.is_source_sla_met,
        staged.updated_at,
        staged.loaded_at
    from staged
    left join case_priorities
        on staged.raw_priority = case_priorities.raw_priority
)

select * from final
