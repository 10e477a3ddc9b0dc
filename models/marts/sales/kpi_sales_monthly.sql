{#- Sales KPIs (S1-S9, S11, S15, S17) per month and dimension member, long
    format: one row per month of the spine x (dimension_name, dimension_value),
    'all' included, zeros for months without activity; null (unknown, not 0)
    for every opportunity count and amount when the export has no
    opportunities (dq_entity_presence says so). -#}
with spine as (
    select * from {{ ref('int_sales_member_months') }}
),

closed_by_month as (
    select * from {{ ref('int_sales_closed_monthly') }}
),

created_by_month as (
    select * from {{ ref('int_sales_created_monthly') }}
),

pipeline_by_month as (
    select * from {{ ref('int_sales_open_pipeline_monthly') }}
),

leads_by_month as (
    select * from {{ ref('int_sales_leads_monthly') }}
),

joined as (
    select
        spine.month_start_date,
        spine.month_end_date,
        spine.balance_date,
        spine.is_as_of_month,
        spine.dimension_name,
        spine.dimension_value,
        spine.dimension_label,
        {{ coalesce_if_present('opportunities', 'closed_by_month.opportunities_won') }} as opportunities_won,
        {{ coalesce_if_present(
            'opportunities',
            'closed_by_month.opportunities_won_with_amount'
        ) }} as opportunities_won_with_amount,
        -- amounts: doc block unknown_amounts (0 without rows, null when none is known)
        {{ amount_total(
            'closed_by_month.won_revenue',
            'closed_by_month.opportunities_won',
            entities='opportunities'
        ) }} as won_revenue,
        {{ coalesce_if_present('opportunities', 'closed_by_month.opportunities_lost') }} as opportunities_lost,
        {{ coalesce_if_present(
            'opportunities',
            'closed_by_month.opportunities_lost_with_amount'
        ) }} as opportunities_lost_with_amount,
        {{ amount_total(
            'closed_by_month.lost_amount',
            'closed_by_month.opportunities_lost',
            entities='opportunities'
        ) }} as lost_amount,
        closed_by_month.sales_cycle_days_mean,
        closed_by_month.sales_cycle_days_median,
        closed_by_month.lead_to_close_days_mean,
        closed_by_month.lead_to_close_days_median,
        {{ coalesce_if_present(
            'opportunities',
            'closed_by_month.new_customer_opportunities_won'
        ) }} as new_customer_opportunities_won,
        {{ amount_total(
            'closed_by_month.new_customer_won_revenue',
            'closed_by_month.new_customer_opportunities_won',
            entities='opportunities'
        ) }} as new_customer_won_revenue,
        {{ coalesce_if_present(
            'opportunities',
            'closed_by_month.existing_customer_opportunities_won'
        ) }} as existing_customer_opportunities_won,
        {{ amount_total(
            'closed_by_month.existing_customer_won_revenue',
            'closed_by_month.existing_customer_opportunities_won',
            entities='opportunities'
        ) }} as existing_customer_won_revenue,
        {{ coalesce_if_present('activities', 'closed_by_month.closed_opportunity_calls') }}
            as closed_opportunity_calls,
        {{ coalesce_if_present('opportunities', 'created_by_month.opportunities_created') }} as opportunities_created,
        {{ coalesce_if_present('opportunities', 'created_by_month.opportunities_created_with_amount') }}
            as opportunities_created_with_amount,
        {{ amount_total(
            'created_by_month.opportunities_created_amount',
            'created_by_month.opportunities_created',
            entities='opportunities'
        ) }} as opportunities_created_amount,
        {{ coalesce_if_present(
            'opportunities',
            'created_by_month.new_customer_opportunities_created'
        ) }} as new_customer_opportunities_created,
        {{ amount_total(
            'created_by_month.new_customer_created_amount',
            'created_by_month.new_customer_opportunities_created',
            entities='opportunities'
        ) }} as new_customer_created_amount,
        {{ coalesce_if_present('opportunities', 'created_by_month.existing_customer_opportunities_created') }}
            as existing_customer_opportunities_created,
        {{ amount_total(
            'created_by_month.existing_customer_created_amount',
            'created_by_month.existing_customer_opportunities_created',
            entities='opportunities'
        ) }} as existing_customer_created_amount,
        {{ coalesce_if_present(
            'opportunities',
            'pipeline_by_month.open_pipeline_opportunities'
        ) }} as open_pipeline_opportunities,
        {{ coalesce_if_present('opportunities', 'pipeline_by_month.open_pipeline_opportunities_with_amount') }}
            as open_pipeline_opportunities_with_amount,
        {{ amount_total(
            'pipeline_by_month.open_pipeline_amount',
            'pipeline_by_month.open_pipeline_opportunities',
            entities='opportunities'
        ) }}
            as open_pipeline_amount,
        {{ amount_total(
            'pipeline_by_month.open_pipeline_weighted_amount',
            'pipeline_by_month.open_pipeline_opportunities',
            entities='opportunities'
        ) }} as open_pipeline_weighted_amount,
        {{ coalesce_if_present(
            'opportunities',
            'pipeline_by_month.open_pipeline_opportunities_unweighted'
        ) }} as open_pipeline_opportunities_unweighted,
        pipeline_by_month.days_open_mean,
        case
            when spine.dimension_name in ('all', 'lead_source', 'channel_group')
                then {{ coalesce_if_present('leads', 'leads_by_month.leads_created') }}
        end as leads_created,
        case
            when spine.dimension_name in ('all', 'lead_source', 'channel_group')
                then {{ coalesce_if_present(['leads', 'opportunities'], 'leads_by_month.leads_won') }}
        end as leads_won
    from spine
    left join closed_by_month
        on
            spine.month_start_date = closed_by_month.month_start_date
            and spine.dimension_name = closed_by_month.dimension_name
            and spine.dimension_value = closed_by_month.dimension_value
    left join created_by_month
        on
            spine.month_start_date = created_by_month.month_start_date
            and spine.dimension_name = created_by_month.dimension_name
            and spine.dimension_value = created_by_month.dimension_value
    left join pipeline_by_month
        on
            spine.month_start_date = pipeline_by_month.month_start_date
            and spine.dimension_name = pipeline_by_month.dimension_name
            and spine.dimension_value = pipeline_by_month.dimension_value
    left join leads_by_month
        on
            spine.month_start_date = leads_by_month.month_start_date
            and spine.dimension_name = leads_by_month.dimension_name
            and spine.dimension_value = leads_by_month.dimension_value
),

ratios as (
    select
        *,
        opportunities_won + opportunities_lost as opportunities_closed,
        opportunities_won - opportunities_won_with_amount as opportunities_won_without_amount,
        opportunities_lost - opportunities_lost_with_amount as opportunities_lost_without_amount,
        opportunities_created - opportunities_created_with_amount
            as opportunities_created_without_amount,
        open_pipeline_opportunities
        - open_pipeline_opportunities_with_amount as open_pipeline_opportunities_without_amount,
        cast(
            case
                when
                    opportunities_won + opportunities_lost > 0
                    and opportunities_won_with_amount + opportunities_lost_with_amount = 0
                    then null
                -- an export without opportunities: unknown, not 0
                when opportunities_won is null then null
                else coalesce(won_revenue, 0) + coalesce(lost_amount, 0)
            end as decimal(18, 2)
        ) as closed_amount,
        {{ safe_divide('won_revenue', 'opportunities_won_with_amount', 'decimal(18,2)') }} as won_revenue_mean,
        {{ safe_divide('opportunities_won', 'opportunities_won + opportunities_lost') }} as win_rate,
        {{ safe_divide('won_revenue', 'won_revenue + lost_amount') }} as win_rate_by_amount,
        {{ safe_divide('leads_won', 'leads_created') }} as close_rate,
        cast(round(sales_cycle_days_mean, 2) as decimal(18, 2)) as sales_cycle_days_mean_rounded,
        cast(round(sales_cycle_days_median, 2) as decimal(18, 2)) as sales_cycle_days_median_rounded,
        cast(round(days_open_mean, 2) as decimal(18, 2)) as average_days_open_rounded,
        {{ safe_divide('closed_opportunity_calls', 'opportunities_won + opportunities_lost', 'decimal(18,2)') }}
            as calls_per_closed_opportunity,
        lag(won_revenue) over (
            partition by dimension_name, dimension_value
            order by month_start_date
        ) as won_revenue_previous_month
    from joined
),

final as (
    select
        month_start_date,
        month_end_date,
        balance_date,
        is_as_of_month,
        dimension_name,
        dimension_value,
        dimension_label,
        -- S1-S4: closed deals of the month
        opportunities_won,
        won_revenue,
        opportunities_won_with_amount,
        opportunities_won_without_amount,
        won_revenue_mean,
        opportunities_lost,
        lost_amount,
        opportunities_lost_without_amount,
        opportunities_closed,
        closed_amount,
        win_rate,
        win_rate_by_amount,
        -- S5: lead cohort of the month
        leads_created,
        leads_won,
        close_rate,
        -- S6
        sales_cycle_days_mean_rounded as sales_cycle_days_mean,
        sales_cycle_days_median_rounded as sales_cycle_days_median,
        cast(round(lead_to_close_days_mean, 2) as decimal(18, 2)) as lead_to_close_days_mean,
        cast(round(lead_to_close_days_median, 2) as decimal(18, 2)) as lead_to_close_days_median,
        -- S7, S9: open pipeline at the month's balance date
        open_pipeline_opportunities,
        open_pipeline_amount,
        open_pipeline_weighted_amount,
        open_pipeline_opportunities_unweighted,
        open_pipeline_opportunities_without_amount,
        average_days_open_rounded as days_open_mean,
        -- S8
        cast(
            {{ safe_divide(
                'open_pipeline_opportunities * won_revenue_mean * win_rate',
                'sales_cycle_days_mean_rounded',
                'decimal(28,10)'
            ) }} as decimal(18, 2)
        ) as sales_velocity,
        -- S11
        opportunities_created,
        opportunities_created_amount,
        opportunities_created_without_amount,
        new_customer_opportunities_created,
        new_customer_created_amount,
        existing_customer_opportunities_created,
        existing_customer_created_amount,
        new_customer_opportunities_won,
        new_customer_won_revenue,
        existing_customer_opportunities_won,
        existing_customer_won_revenue,
        -- S15
        cast(won_revenue_previous_month as decimal(18, 2)) as won_revenue_previous_month,
        {{ safe_divide('won_revenue - won_revenue_previous_month', 'won_revenue_previous_month') }}
            as won_revenue_growth,
        -- S17
        closed_opportunity_calls,
        calls_per_closed_opportunity
    from ratios
)

select * from final
