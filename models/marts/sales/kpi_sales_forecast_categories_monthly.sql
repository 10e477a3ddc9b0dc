{#- Forecast categories (KPI H3) at the as-of date: per expected close month
    (overdue deals in the month they were due) and member of the owner and
    team dimensions (the deal's current member) and 'all', the open deals by
    the forecast category of their current version (fct_opportunity_history),
    the won revenue of the month, the forecast = won + commit, the quota
    (won_revenue targets: a rep's for an owner, a team's for a team, the sum
    of the team targets for 'all'; null without one), the forecast against
    it and the pipeline coverage = open amount due in the month outside
    'omitted' / (quota - won, not below 0). When no opportunity of the export
    carries a forecast category, the category columns are null and
    forecast_category_status says 'not in this export'. -#}
with opportunities as (
    select * from {{ ref('fct_opportunities') }}
),

current_versions as (
    select * from {{ ref('fct_opportunity_history') }}
    where is_current
),

opportunity_dimensions as (
    select * from {{ ref('int_sales_opportunity_dimensions_unpivoted') }}
    where dimension_name in ('all', 'owner', 'team')
),

members as (
    select * from {{ ref('int_sales_dimension_members') }}
    where dimension_name in ('all', 'owner', 'team')
),

targets as (
    select * from {{ ref('int_targets_mapped') }}
    where metric = 'won_revenue' and target_level in ('rep', 'team')
),

as_of as (
    select * from {{ ref('int_as_of_date') }}
),

export_status as (
    select
        case when count(forecast_category) > 0 then 'in this export' else 'not in this export' end
            as forecast_category_status
    from current_versions
),

deals as (
    select
        opportunities.opportunity_id,
        opportunities.is_open,
        opportunities.is_won,
        coalesce(opportunities.amount, 0) as amount,
        current_versions.forecast_category,
        case
            when opportunities.is_won then opportunities.closed_month_start_date
            else cast({{ dbt.date_trunc('month', 'opportunities.expected_close_date') }} as date)
        end as month_start_date
    from opportunities
    left join current_versions
        on opportunities.opportunity_id = current_versions.opportunity_id
    cross join as_of
    where
        (opportunities.is_open and opportunities.expected_close_date is not null)
        or (opportunities.is_won and opportunities.closed_month_start_date = as_of.as_of_month_start_date)
),

by_member as (
    select
        deals.month_start_date,
        opportunity_dimensions.dimension_name,
        opportunity_dimensions.dimension_value,
        sum(case when deals.is_won then deals.amount else 0 end) as won_amount,
        {%- for category in ['commit', 'best_case', 'pipeline', 'omitted'] %}
            count(case when deals.is_open and deals.forecast_category = '{{ category }}' then 1 end)
                as {{ category }}_count,
            sum(case when deals.is_open and deals.forecast_category = '{{ category }}' then deals.amount else 0 end)
                as {{ category }}_amount,
        {%- endfor %}
        count(case when deals.is_open and deals.forecast_category is null then 1 end) as without_category_count,
        sum(case when deals.is_open then deals.amount else 0 end) as open_amount,
        sum(
            case
                when deals.is_open and coalesce(deals.forecast_category, '') != 'omitted' then deals.amount
                else 0
            end
        ) as coverage_pipeline_amount
    from deals
    inner join opportunity_dimensions
        on deals.opportunity_id = opportunity_dimensions.opportunity_id
    group by
        deals.month_start_date,
        opportunity_dimensions.dimension_name,
        opportunity_dimensions.dimension_value
),

quotas as (
    select
        target_month as month_start_date,
        'owner' as dimension_name,
        rep_id as dimension_value,
        sum(target_value) as quota_amount
    from targets
    where target_level = 'rep'
    group by target_month, rep_id
    union all
    select
        target_month as month_start_date,
        'team' as dimension_name,
        team_id as dimension_value,
        sum(target_value) as quota_amount
    from targets
    where target_level = 'team'
    group by target_month, team_id
    union all
    select
        target_month as month_start_date,
        'all' as dimension_name,
        'all' as dimension_value,
        sum(target_value) as quota_amount
    from targets
    where target_level = 'team'
    group by target_month
),

forecast_months as (
    select distinct month_start_date
    from deals
),

spine as (
    select
        forecast_months.month_start_date,
        members.dimension_name,
        members.dimension_value,
        members.dimension_label
    from forecast_months
    cross join members
),

joined as (
    select
        spine.month_start_date,
        spine.dimension_name,
        spine.dimension_value,
        spine.dimension_label,
        export_status.forecast_category_status,
        coalesce(by_member.won_amount, 0) as won_amount,
        coalesce(by_member.commit_amount, 0) as commit_amount,
        by_member.best_case_amount,
        by_member.best_case_count,
        by_member.commit_count,
        by_member.pipeline_amount,
        by_member.pipeline_count,
        by_member.omitted_amount,
        by_member.omitted_count,
        coalesce(by_member.without_category_count, 0) as without_category_count,
        coalesce(by_member.open_amount, 0) as open_amount,
        coalesce(by_member.coverage_pipeline_amount, 0) as coverage_pipeline_amount,
        quotas.quota_amount
    from spine
    cross join export_status
    left join by_member
        on
            spine.month_start_date = by_member.month_start_date
            and spine.dimension_name = by_member.dimension_name
            and spine.dimension_value = by_member.dimension_value
    left join quotas
        on
            spine.month_start_date = quotas.month_start_date
            and spine.dimension_name = quotas.dimension_name
            and spine.dimension_value = quotas.dimension_value
),

final as (
    select
        month_start_date,
        dimension_name,
        dimension_value,
        dimension_label,
        forecast_category_status,
        {%- for category in ['commit', 'best_case', 'pipeline', 'omitted'] %}
            cast(
                case when forecast_category_status = 'in this export' then coalesce({{ category }}_count, 0) end
                as integer
            ) as {{ category }}_count,
            cast(
                case when forecast_category_status = 'in this export' then coalesce({{ category }}_amount, 0) end
                as decimal(18, 2)
            ) as {{ category }}_amount,
        {%- endfor %}
        cast(without_category_count as integer) as without_category_count,
        cast(open_amount as decimal(18, 2)) as open_amount,
        cast(won_amount as decimal(18, 2)) as won_amount,
        cast(
            case when forecast_category_status = 'in this export' then won_amount + commit_amount end
            as decimal(18, 2)
        ) as forecast_amount,
        cast(quota_amount as decimal(18, 2)) as quota_amount,
        {{ safe_divide(
            "case when forecast_category_status = 'in this export' then won_amount + commit_amount end",
            'quota_amount',
        ) }} as forecast_attainment,
        -- null without a quota: the quota is unknown, not 0
        cast(
            case
                when quota_amount > won_amount then quota_amount - won_amount
                when quota_amount is not null then 0
            end as decimal(18, 2)
        ) as quota_remaining_amount,
        cast(coverage_pipeline_amount as decimal(18, 2)) as coverage_pipeline_amount,
        {{ safe_divide(
            'coverage_pipeline_amount',
            'case when quota_amount > won_amount then quota_amount - won_amount when quota_amount is not null then 0 end',
        ) }} as pipeline_coverage
    from joined
)

select * from final
