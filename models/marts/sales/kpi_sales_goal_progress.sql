{#- Goal progress (S14): one row per target (rep, team or lead source x metric x
    month) with the actual of that month and attainment = actual / target. -#}
with targets as (
    select * from {{ ref('int_targets_mapped') }}
),

opportunities as (
    select * from {{ ref('fct_opportunities') }}
),

leads as (
    select * from {{ ref('fct_leads') }}
),

activities as (
    select * from {{ ref('fct_activities') }}
),

reps as (
    select * from {{ ref('dim_reps') }}
),

won_deals as (
    select
        owner_rep_id as rep_id,
        team_id,
        lead_source,
        closed_month_start_date as month_start_date,
        amount
    from opportunities
    where is_won and closed_month_start_date is not null
),

done_calls as (
    select
        activities.rep_id,
        reps.team_id,
        cast({{ dbt.date_trunc('month', 'activities.completed_at') }} as date) as month_start_date
    from activities
    left join reps
        on activities.rep_id = reps.rep_id
    where activities.is_sales_call
),

new_leads as (
    select
        leads.owner_rep_id as rep_id,
        reps.team_id,
        leads.lead_source,
        leads.created_month_start_date as month_start_date
    from leads
    left join reps
        on leads.owner_rep_id = reps.rep_id
),

-- actuals in long format: level, subject, metric, month, value
{%- set actual_sources = [
    ('won_deals', 'won_revenue', 'sum(amount)', 'rep', 'rep_id'),
    ('won_deals', 'won_revenue', 'sum(amount)', 'team', 'team_id'),
    ('won_deals', 'won_revenue', 'sum(amount)', 'lead_source', 'lead_source'),
    ('won_deals', 'deal_count', 'count(*)', 'rep', 'rep_id'),
    ('won_deals', 'deal_count', 'count(*)', 'team', 'team_id'),
    ('won_deals', 'deal_count', 'count(*)', 'lead_source', 'lead_source'),
    ('done_calls', 'calls', 'count(*)', 'rep', 'rep_id'),
    ('done_calls', 'calls', 'count(*)', 'team', 'team_id'),
    ('new_leads', 'new_leads', 'count(*)', 'rep', 'rep_id'),
    ('new_leads', 'new_leads', 'count(*)', 'team', 'team_id'),
    ('new_leads', 'new_leads', 'count(*)', 'lead_source', 'lead_source'),
] %}
actuals as (
    {%- for relation, metric, aggregate, level, subject_column in actual_sources %}
        select
            '{{ level }}' as target_level,
            {{ subject_column }} as subject_id,
            '{{ metric }}' as metric,
            month_start_date,
            {{ aggregate }} as actual_value
        from {{ relation }}
        group by {{ subject_column }}, month_start_date
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
),

targets_keyed as (
    select
        *,
        case target_level
            when 'rep' then rep_id
            when 'team' then team_id
            else lead_source
        end as subject_id
    from targets
),

with_actuals as (
    select
        targets_keyed.target_id,
        targets_keyed.target_level,
        targets_keyed.subject_id,
        targets_keyed.rep_id,
        targets_keyed.team_id,
        targets_keyed.lead_source,
        targets_keyed.metric,
        targets_keyed.target_month as month_start_date,
        targets_keyed.target_value,
        -- calls are not targeted by lead source: no actual there; nothing done
        -- is 0, won deals without any known amount leave won_revenue null
        cast(
            case
                when not (targets_keyed.target_level = 'lead_source' and targets_keyed.metric = 'calls')
                    then cast(case when actuals.metric is null then 0 else actuals.actual_value end as decimal(18, 2))
            end as decimal(18, 2)
        ) as actual_value
    from targets_keyed
    left join actuals
        on
            targets_keyed.target_level = actuals.target_level
            and targets_keyed.subject_id = actuals.subject_id
            and targets_keyed.metric = actuals.metric
            and targets_keyed.target_month = actuals.month_start_date
),

final as (
    select
        *,
        {{ safe_divide('actual_value', 'target_value') }} as attainment
    from with_actuals
)

select * from final
