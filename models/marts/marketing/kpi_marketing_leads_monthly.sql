{#- M1 leads by source against target with MoM / rolling-QoQ / YoY growth, and
    M2 qualification of the month's leads; one row per month and lead source. -#}
with months as (
    select * from {{ ref('int_months') }}
),

lead_sources as (
    select * from {{ ref('stg_reference__lead_sources') }}
),

leads as (
    select * from {{ ref('fct_leads') }}
),

targets as (
    select * from {{ ref('int_targets_mapped') }}
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

lead_counts as (
    select
        created_month_start_date as month_start_date,
        lead_source,
        count(*) as leads_created,
        sum(submission_count) as form_submissions,
        sum(case when is_qualified then 1 else 0 end) as leads_qualified,
        sum(case when is_converted then 1 else 0 end) as leads_handed_to_sales
    from leads
    group by created_month_start_date, lead_source
),

lead_targets as (
    select
        target_month as month_start_date,
        coalesce(lead_source, 'unknown') as lead_source,
        sum(target_value) as new_leads_target
    from targets
    where target_level = 'lead_source' and metric = 'new_leads'
    group by target_month, coalesce(lead_source, 'unknown')
),

monthly as (
    select
        spine.month_start_date,
        spine.lead_source,
        cast({{ coalesce_if_present('leads', 'lead_counts.leads_created') }} as integer) as leads_created,
        cast({{ coalesce_if_present('leads', 'lead_counts.form_submissions') }} as integer) as form_submissions,
        cast({{ coalesce_if_present('leads', 'lead_counts.leads_qualified') }} as integer) as leads_qualified,
        cast({{ coalesce_if_present('leads', 'lead_counts.leads_handed_to_sales') }} as integer)
            as leads_handed_to_sales,
        cast(lead_targets.new_leads_target as decimal(18, 2)) as new_leads_target
    from spine
    left join lead_counts
        on
            spine.month_start_date = lead_counts.month_start_date
            and spine.lead_source = lead_counts.lead_source
    left join lead_targets
        on
            spine.month_start_date = lead_targets.month_start_date
            and spine.lead_source = lead_targets.lead_source
),

-- the spine has every month, so lag(n) is exactly n months earlier
windowed as (
    select
        *,
        lag(leads_created, 1) over (
            partition by lead_source order by month_start_date
        ) as leads_created_previous_month,
        sum(leads_created) over (
            partition by lead_source order by month_start_date
            rows between 2 preceding and current row
        ) as leads_created_trailing_3_months,
        lag(leads_created, 12) over (
            partition by lead_source order by month_start_date
        ) as leads_created_same_month_last_year
    from monthly
),

with_previous_quarter as (
    select
        *,
        lag(leads_created_trailing_3_months, 3) over (
            partition by lead_source order by month_start_date
        ) as leads_created_previous_3_months
    from windowed
),

final as (
    select
        month_start_date,
        lead_source,
        leads_created,
        form_submissions,
        cast(form_submissions - leads_created as integer) as duplicate_submissions,
        new_leads_target,
        {{ safe_divide('leads_created', 'new_leads_target') }} as target_attainment,
        cast(leads_created_previous_month as integer) as leads_created_previous_month,
        {{ safe_divide('leads_created - leads_created_previous_month', 'leads_created_previous_month') }}
            as leads_mom_growth,
        cast(leads_created_trailing_3_months as integer) as leads_created_trailing_3_months,
        cast(leads_created_previous_3_months as integer) as leads_created_previous_3_months,
        {{ safe_divide(
            'leads_created_trailing_3_months - leads_created_previous_3_months',
            'leads_created_previous_3_months'
        ) }} as leads_qoq_growth,
        cast(leads_created_same_month_last_year as integer) as leads_created_same_month_last_year,
        {{ safe_divide(
            'leads_created - leads_created_same_month_last_year',
            'leads_created_same_month_last_year'
        ) }} as leads_yoy_growth,
        leads_qualified,
        leads_handed_to_sales,
        {{ safe_divide('leads_qualified', 'leads_created') }} as qualification_rate,
        {{ safe_divide('leads_handed_to_sales', 'leads_created') }} as sales_handoff_rate
    from with_previous_quarter
)

select * from final
