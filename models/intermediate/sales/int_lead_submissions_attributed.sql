{#- Every lead submission with the lead it resolves to and that lead's source,
    channel group and creation time: what an opportunity naming the
    submission is attributed to. -#}
with lead_submissions as (
    select * from {{ ref('int_lead_submissions_resolved') }}
),

leads as (
    select * from {{ ref('int_leads_deduplicated') }}
),

final as (
    select
        lead_submissions.lead_id,
        lead_submissions.resolved_lead_id,
        leads.lead_source,
        leads.channel_group,
        leads.created_at as lead_created_at
    from lead_submissions
    left join leads
        on lead_submissions.resolved_lead_id = leads.lead_id
)

select * from final
