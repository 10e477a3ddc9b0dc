{#- M3 conversion report by source and cohort month, with M9 opportunity
    creation and its growth beside it; one row per month and lead source. -#}
with months as (
    select * from {{ ref('int_months') }}
),

lead_sources as (
    select * from {{ ref('stg_reference__lead_sources') }}
),

leads as (
    select * from {{ ref('fct_leads') }}
),

opportunities as (
    select * from {{ ref('fct_opportunities') }}
),

source_members as (
    select distinct lead_source from lead_sources
    union
    select 'unknown' as lead_source
),

spine as (
    select
        months.month_start_date,
        source_members.lead_source
    from months
    cross join source_members
),

-- the cohort: leads by creation month, with what they reached by now
cohorts as (
    select
        created_month_start_date as month_start_date,
        lead_source,
        count(*) as leads_created,
        sum(case when has_opportunity then 1 else 0 end) as leads_with_opportunity,
        sum(case when is_won then 1 else 0 end) as leads_won,
        -- exact means, rounded half away from zero (avg() is a double)
        {{ safe_divide(
            'sum(case when has_opportunity then days_to_opportunity end)',
            'count(case when has_opportunity then days_to_opportunity end)',
            'decimal(18,2)'
        ) }} as days_to_opportunity_mean,
        {{ safe_divide(
            'sum(case when is_won then days_to_won end)',
            'count(case when is_won then days_to_won end)',
            'decimal(18,2)'
        ) }} as days_to_won_mean,
        sum(won_opportunity_count) as opportunities_won,
        sum(won_without_amount_count) as opportunities_won_without_amount,
        sum(won_amount) as won_revenue
    from leads
    group by created_month_start_date, lead_source
),

opportunity_creation as (
    select
        created_month_start_date as month_start_date,
        lead_source,
        count(*) as opportunities_created
    from opportunities
    group by created_month_start_date, lead_source
),

monthly as (
    select
        spine.month_start_date,
        spine.lead_source,
        cast({{ coalesce_if_present('leads', 'cohorts.leads_created') }} as integer) as leads_created,
        cast({{ coalesce_if_present(['leads', 'opportunities'], 'cohorts.leads_with_opportunity') }} as integer)
            as leads_with_opportunity,
        cast({{ coalesce_if_present(['leads', 'opportunities'], 'cohorts.leads_won') }} as integer) as leads_won,
        cast(cohorts.days_to_opportunity_mean as decimal(18, 2)) as days_to_opportunity_mean,
        cast(cohorts.days_to_won_mean as decimal(18, 2)) as days_to_won_mean,
        cast({{ coalesce_if_present(['leads', 'opportunities'], 'cohorts.opportunities_won') }} as integer)
            as opportunities_won,
        -- doc block unknown_amounts: 0 without won deals, null when none has a known amount
        cast(
            case
                when
                    cohorts.opportunities_won > 0
                    and cohorts.opportunities_won_without_amount = cohorts.opportunities_won
                    then null
                else {{ coalesce_if_present(['leads', 'opportunities'], 'cohorts.won_revenue') }}
            end as decimal(18, 2)
        ) as won_revenue,
        cast(
            {{ coalesce_if_present(['leads', 'opportunities'], 'cohorts.opportunities_won_without_amount') }} as integer
        )
            as opportunities_won_without_amount,
        cast({{ coalesce_if_present('opportunities', 'opportunity_creation.opportunities_created') }} as integer)
            as opportunities_created
    from spine
    left join cohorts
        on
            spine.month_start_date = cohorts.month_start_date
            and spine.lead_source = cohorts.lead_source
    left join opportunity_creation
        on
            spine.month_start_date = opportunity_creation.month_start_date
            and spine.lead_source = opportunity_creation.lead_source
),

windowed as (
    select
        *,
        lag(opportunities_created, 1) over (
            partition by lead_source order by month_start_date
        ) as opportunities_created_previous_month
    from monthly
),

final as (
    select
        month_start_date,
        lead_source,
        leads_created,
        leads_with_opportunity,
        leads_won,
        {{ safe_divide('leads_with_opportunity', 'leads_created') }} as lead_to_opportunity_rate,
        {{ safe_divide('leads_won', 'leads_with_opportunity') }} as opportunity_to_won_rate,
        {{ safe_divide('leads_won', 'leads_created') }} as lead_to_won_rate,
        days_to_opportunity_mean,
        days_to_won_mean,
        opportunities_won,
        won_revenue,
        opportunities_won_without_amount,
        {{ safe_divide(
            'won_revenue', 'opportunities_won - opportunities_won_without_amount', 'decimal(18,2)'
        ) }} as won_revenue_mean,
        opportunities_created,
        cast(opportunities_created_previous_month as integer) as opportunities_created_previous_month,
        {{ safe_divide(
            'opportunities_created - opportunities_created_previous_month',
            'opportunities_created_previous_month'
        ) }} as opportunity_creation_growth
    from windowed
)

select * from final
