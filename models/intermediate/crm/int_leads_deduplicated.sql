{#- One row per resolved lead: identity from the first submission, funnel
    milestones the earliest of the chain, status the furthest reached. -#}
with leads as (
    select * from {{ ref('int_leads_mapped') }}
),

submissions as (
    select
        lead_id,
        resolved_lead_id
    from {{ ref('int_lead_submissions_resolved') }}
),

leads_resolved as (
    select
        leads.*,
        submissions.resolved_lead_id,
        case leads.status
            when 'converted' then 5
            when 'qualified' then 4
            when 'working' then 3
            when 'unqualified' then 2
            when 'new' then 1
        end as status_rank,
        row_number() over (
            partition by submissions.resolved_lead_id
            order by leads.converted_at is null, leads.converted_at, leads.submitted_at, leads.lead_id
        ) as conversion_rank,
        row_number() over (
            partition by submissions.resolved_lead_id
            order by
                case leads.status
                    when 'converted' then 5
                    when 'qualified' then 4
                    when 'working' then 3
                    when 'unqualified' then 2
                    when 'new' then 1
                end desc,
                leads.submitted_at,
                leads.lead_id asc
        ) as status_order
    from leads
    inner join submissions
        on leads.lead_id = submissions.lead_id
),

chains as (
    select
        resolved_lead_id,
        cast(count(*) as integer) as submission_count,
        min(qualified_at) as qualified_at,
        min(converted_at) as converted_at,
        max(updated_at) as updated_at
    from leads_resolved
    group by resolved_lead_id
),

furthest_status as (
    select
        resolved_lead_id,
        status
    from leads_resolved
    where status_order = 1
),

first_conversion as (
    select
        resolved_lead_id,
        converted_account_id,
        converted_contact_id,
        converted_opportunity_id
    from leads_resolved
    where conversion_rank = 1
),

final as (
    select
        first_lead.lead_id,
        first_lead.first_name,
        first_lead.last_name,
        first_lead.email,
        first_lead.is_valid_email,
        first_lead.phone,
        first_lead.is_valid_phone,
        first_lead.company_name,
        first_lead.lead_source,
        first_lead.channel_group,
        first_lead.raw_lead_source,
        first_lead.form_id,
        first_lead.submitted_at,
        first_lead.campaign_id,
        first_lead.owner_rep_id,
        furthest_status.status,
        first_lead.created_at,
        chains.qualified_at,
        chains.converted_at,
        first_conversion.converted_account_id,
        first_conversion.converted_contact_id,
        first_conversion.converted_opportunity_id,
        chains.submission_count,
        chains.updated_at
    from leads_resolved as first_lead
    inner join chains
        on first_lead.lead_id = chains.resolved_lead_id
    inner join furthest_status
        on first_lead.lead_id = furthest_status.resolved_lead_id
    inner join first_conversion
        on first_lead.lead_id = first_conversion.resolved_lead_id
)

select * from final
