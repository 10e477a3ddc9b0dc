{#- The service-case KPIs of the month for all cases together: the 'all' rows
    of kpi_service_cases_by_dimension_monthly (one row per month of the spine).
    The dashboard charts sla_compliance_rate from here. -#}
with cases_by_dimension as (
    select * from {{ ref('kpi_service_cases_by_dimension_monthly') }}
),

final as (
    select
        month_start_date,
        cases_opened,
        cases_closed,
        cases_resolved,
        cases_resolved_after_reopen,
        cases_closed_unresolved,
        cases_closed_same_day,
        same_day_closure_rate,
        cases_resolved_same_day,
        same_day_resolution_rate,
        resolution_hours_mean,
        resolution_hours_median,
        complaints_resolved,
        complaint_resolution_hours_mean,
        complaint_resolution_hours_median,
        first_response_sla_cases_due,
        first_response_sla_cases_met,
        first_response_sla_compliance_rate,
        resolution_sla_cases_due,
        resolution_sla_cases_met,
        resolution_sla_compliance_rate,
        sla_cases_due,
        sla_cases_met,
        sla_compliance_rate,
        business_first_response_sla_cases_due,
        business_first_response_sla_cases_met,
        business_first_response_sla_compliance_rate,
        business_resolution_sla_cases_due,
        business_resolution_sla_cases_met,
        business_resolution_sla_compliance_rate,
        business_sla_cases_due,
        business_sla_cases_met,
        business_sla_compliance_rate,
        business_resolution_hours_mean,
        business_resolution_hours_median,
        source_sla_cases,
        source_sla_cases_met,
        source_sla_met_rate,
        survey_responses,
        satisfaction_score_mean,
        satisfied_responses,
        satisfied_share
    from cases_by_dimension
    where dimension_name = 'all'
)

select * from final
