with deduplicated_leads as (
    select * from {{ ref('int_leads_deduplicated') }}
),

lead_submissions as (
    select * from {{ ref('int_lead_submissions_resolved') }}
),

account_records as (
    select * from {{ ref('int_account_records_matched') }}
),

opportunities as (
    select * from {{ ref('int_opportunities_converted') }}
),

leads as (
    select
        *,
        cast(created_at as date) as created_date
    from deduplicated_leads
),

-- an opportunity belongs to a lead through its lead_id (resolved to the first
-- submission) or through the lead's converted_opportunity_id
lead_opportunity_links as (
    select
        lead_submissions.resolved_lead_id as lead_id,
        opportunities.opportunity_id
    from opportunities
    inner join lead_submissions
        on opportunities.lead_id = lead_submissions.lead_id
    union
    select
        lead_id,
        converted_opportunity_id as opportunity_id
    from leads
    where converted_opportunity_id is not null
),

lead_opportunities as (
    select
        lead_opportunity_links.lead_id,
        opportunities.opportunity_id,
        opportunities.created_at,
        opportunities.closed_at,
        coalesce(opportunities.is_won, false) as is_won,
        opportunities.amount,
        row_number() over (
            partition by lead_opportunity_links.lead_id
            order by opportunities.created_at, opportunities.opportunity_id
        ) as opportunity_rank
    from lead_opportunity_links
    inner join opportunities
        on lead_opportunity_links.opportunity_id = opportunities.opportunity_id
),

lead_opportunity_summary as (
    select
        lead_id,
        max(case when opportunity_rank = 1 then opportunity_id end) as first_opportunity_id,
        min(created_at) as first_opportunity_created_at,
        min(case when is_won then closed_at end) as first_won_at,
        cast(min(created_at) as date) as first_opportunity_date,
        cast(min(case when is_won then closed_at end) as date) as first_won_date,
        count(*) as opportunity_count,
        count(case when is_won then 1 end) as won_opportunity_count,
        count(case when is_won and amount is null then 1 end) as won_without_amount_count,
        sum(case when is_won then amount end) as won_amount
    from lead_opportunities
    group by lead_id
),

lead_accounts as (
    select
        record_id as lead_id,
        account_id
    from account_records
    where record_type = 'lead'
),

final as (
    select
        leads.lead_id,
        coalesce(leads.lead_source, 'unknown') as lead_source,
        leads.raw_lead_source,
        coalesce(leads.channel_group, 'unknown') as channel_group,
        leads.campaign_id,
        leads.owner_rep_id,
        lead_accounts.account_id,
        leads.status,
        cast(leads.submission_count as integer) as submission_count,
        leads.created_at,
        leads.created_date,
        cast({{ dbt.date_trunc('month', 'leads.created_at') }} as date) as created_month_start_date,
        leads.qualified_at,
        leads.converted_at,
        opportunity_summary.first_opportunity_id,
        opportunity_summary.first_opportunity_created_at,
        opportunity_summary.first_won_at,
        cast(coalesce(opportunity_summary.opportunity_count, 0) as integer) as opportunity_count,
        cast(coalesce(opportunity_summary.won_opportunity_count, 0) as integer) as won_opportunity_count,
        -- doc block unknown_amounts: 0 without won deals, null when none has a known amount
        {{ amount_total('opportunity_summary.won_amount', 'opportunity_summary.won_opportunity_count') }} as won_amount,
        cast(coalesce(opportunity_summary.won_without_amount_count, 0) as integer) as won_without_amount_count,
        leads.qualified_at is not null or leads.status in ('qualified', 'converted') as is_qualified,
        leads.converted_at is not null or leads.status = 'converted' as is_converted,
        opportunity_summary.first_opportunity_id is not null as has_opportunity,
        coalesce(opportunity_summary.won_opportunity_count, 0) > 0 as is_won,
        cast(
            {{ dbt.datediff('leads.created_date', 'opportunity_summary.first_opportunity_date', 'day') }}
            as integer
        ) as days_to_opportunity,
        cast(
            {{ dbt.datediff('leads.created_date', 'opportunity_summary.first_won_date', 'day') }}
            as integer
        ) as days_to_won
    from leads
    left join lead_opportunity_summary as opportunity_summary
        on leads.lead_id = opportunity_summary.lead_id
    left join lead_accounts
        on leads.lead_id = lead_accounts.lead_id
)

select * from final
