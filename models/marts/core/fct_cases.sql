{#- One row per support case: its resolution (a re-opened case by its latest
    resolution), durations and SLA status against the targets of its priority
    (seed case_priorities, joined in staging). A case closed without a
    resolution is closed unresolved: not resolved, out of the resolution time
    and the resolution SLA, unless var closed_unresolved_as_resolved is true.
    See doc service_case_rules. -#}
{%- set as_resolved_var = var('closed_unresolved_as_resolved', false) | string | lower %}
{%- set closed_unresolved_as_resolved = as_resolved_var in ('true', '1', 'yes') %}

with cases as (
    select * from {{ ref('int_support_cases_mapped') }}
),

as_of as (
    select * from {{ ref('int_as_of_date') }}
),

resolved as (
    select
        *,
        closed_at is not null and resolved_at is null as is_closed_unresolved,
        -- the recorded resolution; a case closed without one is not resolved, unless
        -- var closed_unresolved_as_resolved counts it as resolved when closed
        {{ 'coalesce(resolved_at, closed_at)' if closed_unresolved_as_resolved else 'resolved_at' }}
            as final_resolved_at,
        -- when the case stopped being worked: its resolution, else its closing
        coalesce(resolved_at, closed_at) as ended_at,
        -- an export that records no first response at all (e.g. the UCI incident log)
        max(case when first_response_at is not null then 1 else 0 end) over () = 1 as source_records_first_response
    from cases
),

responded as (
    select
        *,
        cast({{ dbt.dateadd('hour', 'first_response_target_hours', 'opened_at') }} as timestamp)
            as first_response_due_at,
        cast({{ dbt.dateadd('hour', 'resolution_target_hours', 'opened_at') }} as timestamp)
            as resolution_due_at
    from resolved
),

timed as (
    select
        responded.*,
        cast(
            {{ dbt.datediff('responded.opened_at', 'responded.first_response_at', 'second') }}
            as bigint
        ) as seconds_to_first_response,
        cast(
            {{ dbt.datediff('responded.opened_at', 'responded.final_resolved_at', 'second') }}
            as bigint
        ) as seconds_to_resolution,
        case
            when responded.first_response_target_hours is null then 'no_target'
            when responded.first_response_at <= responded.first_response_due_at then 'met'
            when responded.first_response_at is not null then 'missed'
            -- no first response recorded: unknown when the export records none, or
            -- when the case was resolved or closed (answered, at a time not recorded)
            when not responded.source_records_first_response then 'not_recorded'
            when responded.ended_at is not null then 'not_recorded'
            when cast(responded.first_response_due_at as date) <= as_of.as_of_date then 'missed'
            else 'pending'
        end as first_response_sla_status,
        case
            when responded.resolution_target_hours is null then 'no_target'
            when responded.final_resolved_at <= responded.resolution_due_at then 'met'
            when responded.final_resolved_at is not null then 'missed'
            when responded.is_closed_unresolved then 'closed_unresolved'
            when cast(responded.resolution_due_at as date) <= as_of.as_of_date then 'missed'
            else 'pending'
        end as resolution_sla_status
    from responded
    cross join as_of
),

final as (
    select
        ---------- ids
        case_id,
        account_id,
        contact_id,
        owner_rep_id,
        ---------- attributes
        case_type,
        case_type = 'complaint' as is_complaint,
        priority,
        priority_rank,
        raw_priority,
        channel,
        status,
        ---------- timestamps and dates
        opened_at,
        cast(opened_at as date) as opened_date,
        cast({{ dbt.date_trunc('month', 'opened_at') }} as date) as opened_month_start_date,
        first_response_at,
        resolved_at,
        final_resolved_at,
        cast(final_resolved_at as date) as final_resolved_date,
        cast({{ dbt.date_trunc('month', 'final_resolved_at') }} as date) as final_resolved_month_start_date,
        closed_at,
        cast(closed_at as date) as closed_date,
        cast({{ dbt.date_trunc('month', 'closed_at') }} as date) as closed_month_start_date,
        ended_at,
        cast(ended_at as date) as ended_date,
        cast({{ dbt.date_trunc('month', 'ended_at') }} as date) as ended_month_start_date,
        ---------- resolution
        final_resolved_at is not null as is_resolved,
        is_closed_unresolved,
        cast(final_resolved_at as date) = cast(opened_at as date) as is_resolved_same_day,
        cast(closed_at as date) = cast(opened_at as date) as is_closed_same_day,
        cast(coalesce(reopened_count, 0) as integer) as reopened_count,
        coalesce(reopened_count, 0) > 0 as is_reopened,
        seconds_to_first_response,
        seconds_to_resolution,
        {{ safe_divide('seconds_to_first_response', '3600', 'decimal(18,2)') }} as hours_to_first_response,
        {{ safe_divide('seconds_to_resolution', '3600', 'decimal(18,2)') }} as hours_to_resolution,
        ---------- SLA (V8)
        first_response_target_hours,
        resolution_target_hours,
        first_response_due_at,
        cast(first_response_due_at as date) as first_response_due_date,
        cast({{ dbt.date_trunc('month', 'first_response_due_at') }} as date) as first_response_due_month_start_date,
        resolution_due_at,
        cast(resolution_due_at as date) as resolution_due_date,
        cast({{ dbt.date_trunc('month', 'resolution_due_at') }} as date) as resolution_due_month_start_date,
        first_response_sla_status,
        resolution_sla_status,
        case
            when first_response_sla_status = 'no_target' or resolution_sla_status = 'no_target' then null
            -- a target that cannot be judged leaves the case out of the combined SLA
            when first_response_sla_status = 'not_recorded' or resolution_sla_status = 'closed_unresolved' then null
            when first_response_sla_status = 'missed' or resolution_sla_status = 'missed' then false
            when first_response_sla_status = 'met' and resolution_sla_status = 'met' then true
        end as is_sla_met,
        is_source_sla_met,
        ---------- satisfaction (V12)
        satisfaction_score,
        satisfaction_score >= 4 as is_satisfied,
        cast(
            {{ dbt.date_trunc('month', 'coalesce(ended_at, opened_at)') }} as date
        ) as survey_month_start_date,
        updated_at
    from timed
)

select * from final
