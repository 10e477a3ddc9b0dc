{#- The spine of the monthly sales marts: every month of the month spine
    (int_months) x every sales dimension member (int_sales_dimension_members),
    'all' included, so that a month without activity still has its rows. -#}
with months as (
    select * from {{ ref('int_months') }}
),

members as (
    select * from {{ ref('int_sales_dimension_members') }}
),

final as (
    select
        months.month_start_date,
        months.month_end_date,
        months.balance_date,
        months.is_as_of_month,
        members.dimension_name,
        members.dimension_value,
        members.dimension_label
    from months
    cross join members
)

select * from final
