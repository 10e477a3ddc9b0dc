{#- Service-case KPIs (V1-V3, V5, V8, V12) per month and dimension member,
    long format: one row per month of the spine x (dimension_name,
    dimension_value) - 'all', case_type, priority, channel - zeros for months
    without cases. Cases closed unresolved are counted apart and stay out of
    resolution times and the resolution SLA; the export's own SLA verdict is
    shown beside V8. Events count up to the as-of date only. See doc
    service_case_rules. -#}
with cases as (
    select * from {{ ref('fct_cases') }}
),

business_times as (
    select * from {{ ref('fct_case_business_times') }}
),

months as (
    select * from {{ ref('int_months') }}
),

as_of as (
    select * from {{ ref('int_as_of_date') }}
),

timed_cases as (
    -- negative durations (bad source data) stay counted but out of the means and medians
    select
        cases.*,
        case when cases.seconds_to_resolution >= 0 then cases.seconds_to_resolution end as valid_resolution_seconds,
        case
            when cases.is_complaint and cases.seconds_to_resolution >= 0 then cases.seconds_to_resolution
        end as complaint_resolution_seconds,
        -- B1: the same case in the business hours of its team's schedule
        business_times.business_seconds_to_resolution,
        business_times.business_first_response_due_date,
        business_times.business_first_response_due_month_start_date,
        business_times.business_resolution_due_date,
        business_times.business_resolution_due_month_start_date,
        business_times.business_first_response_sla_status,
        business_times.business_resolution_sla_status,
        business_times.is_business_sla_met
    from cases
    left join business_times
        on cases.case_id = business_times.case_id
),

cases_by_member as (
    select
        'all' as dimension_name,
        'all' as dimension_value,
        timed_cases.*
    from timed_cases

    union all

    select
        'case_type' as dimension_name,
        coalesce(timed_cases.case_type, 'unknown') as dimension_value,
        timed_cases.*
    from timed_cases

    union all

    select
        'priority' as dimension_name,
        coalesce(timed_cases.priority, 'unknown') as dimension_value,
        timed_cases.*
    from timed_cases

    union all

    select
        'channel' as dimension_name,
        coalesce(timed_cases.channel, 'unknown') as dimension_value,
        timed_cases.*
    from timed_cases
),

members as (
    -- 'all' always, so the month spine is complete even without cases
    select
        'all' as dimension_name,
        'all' as dimension_value

    union

    select distinct
        dimension_name,
        dimension_value
    from cases_by_member
),

opened as (
    select
        cases_by_member.dimension_name,
        cases_by_member.dimension_value,
        cases_by_member.opened_month_start_date as month_start_date,
        count(*) as cases_opened
    from cases_by_member
    cross join as_of
    where cases_by_member.opened_date <= as_of.as_of_date
    group by 1, 2, 3
),

closed as (
    select
        cases_by_member.dimension_name,
        cases_by_member.dimension_value,
        cases_by_member.closed_month_start_date as month_start_date,
        count(*) as cases_closed,
        sum(case when cases_by_member.is_closed_same_day then 1 else 0 end) as cases_closed_same_day,
        sum(case when cases_by_member.is_closed_unresolved then 1 else 0 end) as cases_closed_unresolved
    from cases_by_member
    cross join as_of
    where cases_by_member.closed_date <= as_of.as_of_date
    group by 1, 2, 3
),

resolved as (
    select
        cases_by_member.dimension_name,
        cases_by_member.dimension_value,
        cases_by_member.final_resolved_month_start_date as month_start_date,
        count(*) as cases_resolved,
        sum(case when cases_by_member.is_resolved_same_day then 1 else 0 end) as cases_resolved_same_day,
        sum(case when cases_by_member.is_reopened then 1 else 0 end) as cases_resolved_after_reopen,
        -- seconds to the microsecond: an exact mean (avg() is a double), hours rounded once below
        {{ safe_divide(
            'sum(cases_by_member.valid_resolution_seconds)',
            'count(cases_by_member.valid_resolution_seconds)',
            'decimal(28,6)'
        ) }} as resolution_seconds_mean,
        {{ median('cases_by_member.valid_resolution_seconds') }} as resolution_seconds_median,
        sum(case when cases_by_member.is_complaint then 1 else 0 end) as complaints_resolved,
        -- seconds to the microsecond: an exact mean (avg() is a double), hours rounded once below
        {{ safe_divide(
            'sum(cases_by_member.complaint_resolution_seconds)',
            'count(cases_by_member.complaint_resolution_seconds)',
            'decimal(28,6)'
        ) }} as complaint_resolution_seconds_mean,
        {{ median('cases_by_member.complaint_resolution_seconds') }} as complaint_resolution_seconds_median,
        {{ safe_divide(
            'sum(cases_by_member.business_seconds_to_resolution)',
            'count(cases_by_member.business_seconds_to_resolution)',
            'decimal(28,6)'
        ) }} as business_resolution_seconds_mean,
        {{ median('cases_by_member.business_seconds_to_resolution') }} as business_resolution_seconds_median
    from cases_by_member
    cross join as_of
    where cases_by_member.final_resolved_date <= as_of.as_of_date
    group by 1, 2, 3
),

first_response_sla as (
    select
        cases_by_member.dimension_name,
        cases_by_member.dimension_value,
        cases_by_member.first_response_due_month_start_date as month_start_date,
        count(*) as first_response_sla_cases_due,
        sum(case when cases_by_member.first_response_sla_status = 'met' then 1 else 0 end)
            as first_response_sla_cases_met
    from cases_by_member
    cross join as_of
    where
        cases_by_member.first_response_due_date <= as_of.as_of_date
        and cases_by_member.first_response_sla_status in ('met', 'missed')
    group by 1, 2, 3
),

resolution_sla as (
    select
        cases_by_member.dimension_name,
        cases_by_member.dimension_value,
        cases_by_member.resolution_due_month_start_date as month_start_date,
        count(*) as resolution_sla_cases_due,
        sum(case when cases_by_member.resolution_sla_status = 'met' then 1 else 0 end)
            as resolution_sla_cases_met,
        count(cases_by_member.is_sla_met) as sla_cases_due,
        sum(case when cases_by_member.is_sla_met then 1 else 0 end) as sla_cases_met
    from cases_by_member
    cross join as_of
    where
        cases_by_member.resolution_due_date <= as_of.as_of_date
        and cases_by_member.resolution_sla_status in ('met', 'missed')
    group by 1, 2, 3
),

business_first_response_sla as (
    -- B1: the first-response SLA in business hours, by the month of its business due date
    select
        cases_by_member.dimension_name,
        cases_by_member.dimension_value,
        cases_by_member.business_first_response_due_month_start_date as month_start_date,
        count(*) as business_first_response_sla_cases_due,
        sum(case when cases_by_member.business_first_response_sla_status = 'met' then 1 else 0 end)
            as business_first_response_sla_cases_met
    from cases_by_member
    cross join as_of
    where
        cases_by_member.business_first_response_due_date <= as_of.as_of_date
        and cases_by_member.business_first_response_sla_status in ('met', 'missed')
    group by 1, 2, 3
),

business_resolution_sla as (
    -- B1: the resolution and combined SLA in business hours, by the month of the business resolution due date
    select
        cases_by_member.dimension_name,
        cases_by_member.dimension_value,
        cases_by_member.business_resolution_due_month_start_date as month_start_date,
        count(*) as business_resolution_sla_cases_due,
        sum(case when cases_by_member.business_resolution_sla_status = 'met' then 1 else 0 end)
            as business_resolution_sla_cases_met,
        count(cases_by_member.is_business_sla_met) as business_sla_cases_due,
        sum(case when cases_by_member.is_business_sla_met then 1 else 0 end) as business_sla_cases_met
    from cases_by_member
    cross join as_of
    where
        cases_by_member.business_resolution_due_date <= as_of.as_of_date
        and cases_by_member.business_resolution_sla_status in ('met', 'missed')
    group by 1, 2, 3
),

source_sla as (
    -- the export's own SLA verdict, final once the case has ended (resolved or closed)
    select
        cases_by_member.dimension_name,
        cases_by_member.dimension_value,
        cases_by_member.ended_month_start_date as month_start_date,
        count(*) as source_sla_cases,
        sum(case when cases_by_member.is_source_sla_met then 1 else 0 end) as source_sla_cases_met
    from cases_by_member
    cross join as_of
    where
        cases_by_member.is_source_sla_met is not null
        and cases_by_member.ended_date <= as_of.as_of_date
    group by 1, 2, 3
),

surveys as (
    select
        cases_by_member.dimension_name,
        cases_by_member.dimension_value,
        cases_by_member.survey_month_start_date as month_start_date,
        count(*) as survey_responses,
        sum(cases_by_member.satisfaction_score) as satisfaction_score_total,
        sum(case when cases_by_member.is_satisfied then 1 else 0 end) as satisfied_responses
    from cases_by_member
    cross join as_of
    where
        cases_by_member.satisfaction_score is not null
        and coalesce(cases_by_member.ended_date, cases_by_member.opened_date) <= as_of.as_of_date
    group by 1, 2, 3
),

spine as (
    select
        months.month_start_date,
        members.dimension_name,
        members.dimension_value
    from months
    cross join members
),

joined as (
    select
        spine.month_start_date,
        spine.dimension_name,
        spine.dimension_value,
        {{ coalesce_if_present('support_cases', 'opened.cases_opened') }} as cases_opened,
        {{ coalesce_if_present('support_cases', 'closed.cases_closed') }} as cases_closed,
        {{ coalesce_if_present('support_cases', 'closed.cases_closed_same_day') }} as cases_closed_same_day,
        {{ coalesce_if_present('support_cases', 'closed.cases_closed_unresolved') }} as cases_closed_unresolved,
        {{ coalesce_if_present('support_cases', 'resolved.cases_resolved') }} as cases_resolved,
        {{ coalesce_if_present('support_cases', 'resolved.cases_resolved_same_day') }} as cases_resolved_same_day,
        {{ coalesce_if_present('support_cases', 'resolved.cases_resolved_after_reopen') }}
            as cases_resolved_after_reopen,
        resolved.resolution_seconds_mean,
        resolved.resolution_seconds_median,
        {{ coalesce_if_present('support_cases', 'resolved.complaints_resolved') }} as complaints_resolved,
        resolved.complaint_resolution_seconds_mean,
        resolved.complaint_resolution_seconds_median,
        {{ coalesce_if_present('support_cases', 'first_response_sla.first_response_sla_cases_due') }}
            as first_response_sla_cases_due,
        {{ coalesce_if_present('support_cases', 'first_response_sla.first_response_sla_cases_met') }}
            as first_response_sla_cases_met,
        {{ coalesce_if_present('support_cases', 'resolution_sla.resolution_sla_cases_due') }}
            as resolution_sla_cases_due,
        {{ coalesce_if_present('support_cases', 'resolution_sla.resolution_sla_cases_met') }}
            as resolution_sla_cases_met,
        {{ coalesce_if_present('support_cases', 'resolution_sla.sla_cases_due') }} as sla_cases_due,
        {{ coalesce_if_present('support_cases', 'resolution_sla.sla_cases_met') }} as sla_cases_met,
        {{ coalesce_if_present(
            'support_cases', 'business_first_response_sla.business_first_response_sla_cases_due'
        ) }} as business_first_response_sla_cases_due,
        {{ coalesce_if_present(
            'support_cases', 'business_first_response_sla.business_first_response_sla_cases_met'
        ) }} as business_first_response_sla_cases_met,
        {{ coalesce_if_present('support_cases', 'business_resolution_sla.business_resolution_sla_cases_due') }}
            as business_resolution_sla_cases_due,
        {{ coalesce_if_present('support_cases', 'business_resolution_sla.business_resolution_sla_cases_met') }}
            as business_resolution_sla_cases_met,
        {{ coalesce_if_present('support_cases', 'business_resolution_sla.business_sla_cases_due') }}
            as business_sla_cases_due,
        {{ coalesce_if_present('support_cases', 'business_resolution_sla.business_sla_cases_met') }}
            as business_sla_cases_met,
        resolved.business_resolution_seconds_mean,
        resolved.business_resolution_seconds_median,
        {{ coalesce_if_present('support_cases', 'source_sla.source_sla_cases') }} as source_sla_cases,
        {{ coalesce_if_present('support_cases', 'source_sla.source_sla_cases_met') }} as source_sla_cases_met,
        {{ coalesce_if_present('support_cases', 'surveys.survey_responses') }} as survey_responses,
        surveys.satisfaction_score_total,
        {{ coalesce_if_present('support_cases', 'surveys.satisfied_responses') }} as satisfied_responses
    from spine
    left join opened
        on
            spine.month_start_date = opened.month_start_date
            and spine.dimension_name = opened.dimension_name
            and spine.dimension_value = opened.dimension_value
    left join closed
        on
            spine.month_start_date = closed.month_start_date
            and spine.dimension_name = closed.dimension_name
            and spine.dimension_value = closed.dimension_value
    left join resolved
        on
            spine.month_start_date = resolved.month_start_date
            and spine.dimension_name = resolved.dimension_name
            and spine.dimension_value = resolved.dimension_value
    left join first_response_sla
        on
            spine.month_start_date = first_response_sla.month_start_date
            and spine.dimension_name = first_response_sla.dimension_name
            and spine.dimension_value = first_response_sla.dimension_value
    left join resolution_sla
        on
            spine.month_start_date = resolution_sla.month_start_date
            and spine.dimension_name = resolution_sla.dimension_name
            and spine.dimension_value = resolution_sla.dimension_value
    left join business_first_response_sla
        on
            spine.month_start_date = business_first_response_sla.month_start_date
            and spine.dimension_name = business_first_response_sla.dimension_name
            and spine.dimension_value = business_first_response_sla.dimension_value
    left join business_resolution_sla
        on
            spine.month_start_date = business_resolution_sla.month_start_date
            and spine.dimension_name = business_resolution_sla.dimension_name
            and spine.dimension_value = business_resolution_sla.dimension_value
    left join source_sla
        on
            spine.month_start_date = source_sla.month_start_date
            and spine.dimension_name = source_sla.dimension_name
            and spine.dimension_value = source_sla.dimension_value
    left join surveys
        on
            spine.month_start_date = surveys.month_start_date
            and spine.dimension_name = surveys.dimension_name
            and spine.dimension_value = surveys.dimension_value
),

final as (
    select
        month_start_date,
        dimension_name,
        dimension_value,
        ---------- V1 cases handled
        cast(cases_opened as integer) as cases_opened,
        cast(cases_closed as integer) as cases_closed,
        cast(cases_resolved as integer) as cases_resolved,
        cast(cases_resolved_after_reopen as integer) as cases_resolved_after_reopen,
        cast(cases_closed_unresolved as integer) as cases_closed_unresolved,
        ---------- V2 same-day closure
        cast(cases_closed_same_day as integer) as cases_closed_same_day,
        {{ safe_divide('cases_closed_same_day', 'cases_closed') }} as same_day_closure_rate,
        cast(cases_resolved_same_day as integer) as cases_resolved_same_day,
        {{ safe_divide('cases_resolved_same_day', 'cases_resolved') }} as same_day_resolution_rate,
        ---------- V3 time to resolution
        {{ safe_divide('resolution_seconds_mean', '3600', 'decimal(18,2)') }} as resolution_hours_mean,
        {{ safe_divide('resolution_seconds_median', '3600', 'decimal(18,2)') }} as resolution_hours_median,
        ---------- V5 complaint resolution time
        cast(complaints_resolved as integer) as complaints_resolved,
        {{ safe_divide('complaint_resolution_seconds_mean', '3600', 'decimal(18,2)') }}
            as complaint_resolution_hours_mean,
        {{ safe_divide('complaint_resolution_seconds_median', '3600', 'decimal(18,2)') }}
            as complaint_resolution_hours_median,
        ---------- V8 SLA compliance
        cast(first_response_sla_cases_due as integer) as first_response_sla_cases_due,
        cast(first_response_sla_cases_met as integer) as first_response_sla_cases_met,
        {{ safe_divide('first_response_sla_cases_met', 'first_response_sla_cases_due') }}
            as first_response_sla_compliance_rate,
        cast(resolution_sla_cases_due as integer) as resolution_sla_cases_due,
        cast(resolution_sla_cases_met as integer) as resolution_sla_cases_met,
        {{ safe_divide('resolution_sla_cases_met', 'resolution_sla_cases_due') }}
            as resolution_sla_compliance_rate,
        cast(sla_cases_due as integer) as sla_cases_due,
        cast(sla_cases_met as integer) as sla_cases_met,
        {{ safe_divide('sla_cases_met', 'sla_cases_due') }} as sla_compliance_rate,
        ---------- B1 SLA compliance and resolution time in business hours, beside V8 and V3
        cast(business_first_response_sla_cases_due as integer) as business_first_response_sla_cases_due,
        cast(business_first_response_sla_cases_met as integer) as business_first_response_sla_cases_met,
        {{ safe_divide('business_first_response_sla_cases_met', 'business_first_response_sla_cases_due') }}
            as business_first_response_sla_compliance_rate,
        cast(business_resolution_sla_cases_due as integer) as business_resolution_sla_cases_due,
        cast(business_resolution_sla_cases_met as integer) as business_resolution_sla_cases_met,
        {{ safe_divide('business_resolution_sla_cases_met', 'business_resolution_sla_cases_due') }}
            as business_resolution_sla_compliance_rate,
        cast(business_sla_cases_due as integer) as business_sla_cases_due,
        cast(business_sla_cases_met as integer) as business_sla_cases_met,
        {{ safe_divide('business_sla_cases_met', 'business_sla_cases_due') }} as business_sla_compliance_rate,
        {{ safe_divide('business_resolution_seconds_mean', '3600', 'decimal(18,2)') }}
            as business_resolution_hours_mean,
        {{ safe_divide('business_resolution_seconds_median', '3600', 'decimal(18,2)') }}
            as business_resolution_hours_median,
        ---------- the export's own SLA verdict, beside V8
        cast(source_sla_cases as integer) as source_sla_cases,
        cast(source_sla_cases_met as integer) as source_sla_cases_met,
        {{ safe_divide('source_sla_cases_met', 'source_sla_cases') }} as source_sla_met_rate,
        ---------- V12 customer satisfaction
        cast(survey_responses as integer) as survey_responses,
        {{ safe_divide('satisfaction_score_total', 'survey_responses', 'decimal(18,2)') }} as satisfaction_score_mean,
        cast(satisfied_responses as integer) as satisfied_responses,
        {{ safe_divide('satisfied_responses', 'survey_responses') }} as satisfied_share
    from joined
)

select * from final
