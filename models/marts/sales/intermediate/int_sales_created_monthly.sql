{#- Opportunities created (S11) per month of their creation and dimension
    member: counts and amounts, split new vs existing customers. Only months
    and members with a created deal have a row. -#}
with opportunities as (
    select * from {{ ref('fct_opportunities') }}
),

opportunity_dimensions as (
    select * from {{ ref('int_sales_opportunity_dimensions_unpivoted') }}
),

opportunities_by_member as (
    select
        opportunity_dimensions.dimension_name,
        opportunity_dimensions.dimension_value,
        opportunities.*
    from opportunities
    inner join opportunity_dimensions
        on opportunities.opportunity_id = opportunity_dimensions.opportunity_id
),

final as (
    select
        created_month_start_date as month_start_date,
        dimension_name,
        dimension_value,
        count(*) as opportunities_created,
        count(amount) as opportunities_created_with_amount,
        cast(sum(amount) as decimal(18, 2)) as opportunities_created_amount,
        count(case when customer_type = 'new' then 1 end) as new_customer_opportunities_created,
        cast(sum(case when customer_type = 'new' then amount end) as decimal(18, 2)) as new_customer_created_amount,
        count(case when customer_type = 'existing' then 1 end) as existing_customer_opportunities_created,
        cast(
            sum(case when customer_type = 'existing' then amount end)
            as decimal(18, 2)
        ) as existing_customer_created_amount
    from opportunities_by_member
    group by created_month_start_date, dimension_name, dimension_value
)

select * from final
