{#- Advancing activities (S18) per month the activity was done and dimension
    member of its opportunity: the share of done sales activities on an
    opportunity that were followed by a stage advance of that opportunity within
    7 days (an advance: into a later open stage or closed_won). -#}
with activities as (
    select * from {{ ref('fct_activities') }}
),

stage_changes as (
    select * from {{ ref('fct_opportunity_stage_changes') }}
),

opportunity_dimensions as (
    select * from {{ ref('int_sales_opportunity_dimensions_unpivoted') }}
),

members as (
    select * from {{ ref('int_sales_dimension_members') }}
),

months as (
    select * from {{ ref('int_months') }}
),

opportunity_activities as (
    select
        activity_id,
        opportunity_id,
        activity_type,
        completed_at,
        cast({{ dbt.dateadd('day', 7, 'completed_at') }} as timestamp) as window_end_at,
        cast({{ dbt.date_trunc('month', 'completed_at') }} as date) as month_start_date
    from activities
    where
        is_done
        and purpose = 'sales'
        and opportunity_id is not null
),

-- the moment of each advance: when the next (later) stage was entered
advances as (
    select
        opportunity_id,
        exited_at as advanced_at
    from stage_changes
    where is_advance
),

advancing as (
    select distinct opportunity_activities.activity_id
    from opportunity_activities
    inner join advances
        on
            opportunity_activities.opportunity_id = advances.opportunity_id
            and opportunity_activities.completed_at < advances.advanced_at
            and opportunity_activities.window_end_at >= advances.advanced_at
),

flagged as (
    select
        opportunity_activities.*,
        advancing.activity_id is not null as is_advancing
    from opportunity_activities
    left join advancing
        on opportunity_activities.activity_id = advancing.activity_id
),

by_month as (
    select
        flagged.month_start_date,
        opportunity_dimensions.dimension_name,
        opportunity_dimensions.dimension_value,
        count(*) as opportunity_activities,
        count(case when flagged.is_advancing then 1 end) as advancing_activities
    from flagged
    inner join opportunity_dimensions
        on flagged.opportunity_id = opportunity_dimensions.opportunity_id
    group by flagged.month_start_date, opportunity_dimensions.dimension_name, opportunity_dimensions.dimension_value
),

spine as (
    select
        months.month_start_date,
        members.dimension_name,
        members.dimension_value,
        members.dimension_label
    from months
    cross join members
),

final as (
    select
        spine.month_start_date,
        spine.dimension_name,
        spine.dimension_value,
        spine.dimension_label,
        {{ coalesce_if_present('activities', 'by_month.opportunity_activities') }} as opportunity_activities,
        {{ coalesce_if_present('activities', 'by_month.advancing_activities') }} as advancing_activities,
        {{ safe_divide('by_month.advancing_activities', 'by_month.opportunity_activities') }}
            as advancing_activity_rate
    from spine
    left join by_month
        on
            spine.month_start_date = by_month.month_start_date
            and spine.dimension_name = by_month.dimension_name
            and spine.dimension_value = by_month.dimension_value
)

select * from final
