{#- Closed deals (S1-S4, S6, S11, S17) per month of their latest close and
    dimension member: won and lost counts and amounts, the sales cycle and
    lead-to-close days of the won deals, new vs existing customers, and the
    done sales calls logged on the closed deals. Only months and members with
    a closed deal have a row. -#}
with opportunities as (
    select * from {{ ref('fct_opportunities') }}
),

opportunity_dimensions as (
    select * from {{ ref('int_sales_opportunity_dimensions_unpivoted') }}
),

activities as (
    select * from {{ ref('fct_activities') }}
),

-- done sales calls linked to an opportunity (S17)
opportunity_calls as (
    select
        opportunity_id,
        count(*) as call_count
    from activities
    where is_sales_call and opportunity_id is not null
    group by opportunity_id
),

opportunities_by_member as (
    select
        opportunity_dimensions.dimension_name,
        opportunity_dimensions.dimension_value,
        opportunities.*,
        coalesce(opportunity_calls.call_count, 0) as call_count
    from opportunities
    inner join opportunity_dimensions
        on opportunities.opportunity_id = opportunity_dimensions.opportunity_id
    left join opportunity_calls
        on opportunities.opportunity_id = opportunity_calls.opportunity_id
),

final as (
    select
        closed_month_start_date as month_start_date,
        dimension_name,
        dimension_value,
        count(case when is_won then 1 end) as opportunities_won,
        count(case when is_won and amount is not null then 1 end) as opportunities_won_with_amount,
        cast(sum(case when is_won then amount end) as decimal(18, 2)) as won_revenue,
        count(case when is_lost then 1 end) as opportunities_lost,
        count(case when is_lost and amount is not null then 1 end) as opportunities_lost_with_amount,
        cast(sum(case when is_lost then amount end) as decimal(18, 2)) as lost_amount,
        -- exact mean, rounded half away from zero (avg() is a double: 90.945 became 90.94)
        {{ safe_divide(
            'sum(case when is_won then sales_cycle_days end)',
            'count(case when is_won then sales_cycle_days end)',
            'decimal(18,2)'
        ) }} as sales_cycle_days_mean,
        cast({{ median('case when is_won then sales_cycle_days end') }} as decimal(18, 2)) as sales_cycle_days_median,
        {{ safe_divide(
            'sum(case when is_won then lead_to_close_days end)',
            'count(case when is_won then lead_to_close_days end)',
            'decimal(18,2)'
        ) }} as lead_to_close_days_mean,
        cast(
            {{ median('case when is_won then lead_to_close_days end') }}
            as decimal(18, 2)
        ) as lead_to_close_days_median,
        count(case when is_won and customer_type = 'new' then 1 end) as new_customer_opportunities_won,
        cast(
            sum(case when is_won and customer_type = 'new' then amount end)
            as decimal(18, 2)
        ) as new_customer_won_revenue,
        count(case when is_won and customer_type = 'existing' then 1 end) as existing_customer_opportunities_won,
        cast(
            sum(case when is_won and customer_type = 'existing' then amount end)
            as decimal(18, 2)
        ) as existing_customer_won_revenue,
        cast(sum(call_count) as bigint) as closed_opportunity_calls
    from opportunities_by_member
    where is_closed and closed_month_start_date is not null
    group by closed_month_start_date, dimension_name, dimension_value
)

select * from final
