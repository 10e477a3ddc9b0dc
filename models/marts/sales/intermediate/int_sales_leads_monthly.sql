{#- The lead cohort of each month (S5) by member of the dimensions a lead
    has - all, lead_source and channel_group: leads created and, of them,
    those later won. Close rate is lead-based, so the other sales dimensions
    have no row. -#}
with leads as (
    select * from {{ ref('fct_leads') }}
),

leads_by_member as (
    select
        created_month_start_date,
        'all' as dimension_name,
        'all' as dimension_value,
        is_won
    from leads
    union all
    select
        created_month_start_date,
        'lead_source' as dimension_name,
        lead_source as dimension_value,
        is_won
    from leads
    union all
    select
        created_month_start_date,
        'channel_group' as dimension_name,
        channel_group as dimension_value,
        is_won
    from leads
),

final as (
    select
        created_month_start_date as month_start_date,
        dimension_name,
        dimension_value,
        count(*) as leads_created,
        count(case when is_won then 1 end) as leads_won
    from leads_by_member
    group by created_month_start_date, dimension_name, dimension_value
)

select * from final
