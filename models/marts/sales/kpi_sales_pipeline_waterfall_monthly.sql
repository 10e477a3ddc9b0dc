{#- Pipeline waterfall (KPI H2): per month and member of the owner, team and
    region dimensions (the deal's current member, as in every sales KPI
    table) and 'all', the open pipeline at the previous month end, what
    entered it (created, re-opened), what changed in it (increased,
    decreased), what left it (won, lost, without a known outcome) and the open pipeline at
    the month's balance date, as counts and amounts in the reporting
    currency; pulled in and pushed out beside them (they move deals between
    close months, not in or out of the pipeline). One row per month and
    member, zeros included. -#}
with movements as (
    select * from {{ ref('int_opportunity_waterfall_movements') }}
),

opportunity_dimensions as (
    select * from {{ ref('int_sales_opportunity_dimensions_unpivoted') }}
    where dimension_name in ('all', 'owner', 'team', 'region')
),

members as (
    select * from {{ ref('int_sales_dimension_members') }}
    where dimension_name in ('all', 'owner', 'team', 'region')
),

months as (
    select * from {{ ref('int_months') }}
),

aggregated as (
    select
        movements.month_start_date,
        opportunity_dimensions.dimension_name,
        opportunity_dimensions.dimension_value,
        count(case when movements.entry_kind = 'open' then 1 end) as opening_count,
        sum(movements.opening_amount) as opening_amount,
        count(case when movements.entry_kind = 'created' then 1 end) as created_count,
        sum(case when movements.entry_kind = 'created' then movements.entered_amount else 0 end) as created_amount,
        count(case when movements.amount_change > 0 then 1 end) as increased_count,
        sum(case when movements.amount_change > 0 then movements.amount_change else 0 end) as increased_amount,
        count(case when movements.amount_change < 0 then 1 end) as decreased_count,
        sum(case when movements.amount_change < 0 then -movements.amount_change else 0 end) as decreased_amount,
        count(case when movements.exit_kind = 'won' then 1 end) as won_count,
        sum(case when movements.exit_kind = 'won' then movements.exited_amount else 0 end) as won_amount,
        count(case when movements.exit_kind = 'lost' then 1 end) as lost_count,
        sum(case when movements.exit_kind = 'lost' then movements.exited_amount else 0 end) as lost_amount,
        count(case when movements.entry_kind = 'reopened' then 1 end) as reopened_count,
        sum(case when movements.entry_kind = 'reopened' then movements.entered_amount else 0 end) as reopened_amount,
        count(case when movements.exit_kind = 'exited_unknown' then 1 end) as exited_unknown_count,
        sum(case when movements.exit_kind = 'exited_unknown' then movements.exited_amount else 0 end)
            as exited_unknown_amount,
        count(case when movements.exit_kind = 'open' then 1 end) as closing_count,
        sum(movements.closing_amount) as closing_amount,
        count(case when movements.is_opening_amount_unknown then 1 end) as opening_without_amount_count,
        count(case when movements.is_closing_amount_unknown then 1 end) as closing_without_amount_count,
        count(case when movements.is_pulled_in then 1 end) as pulled_in_count,
        sum(case when movements.is_pulled_in then movements.closing_amount else 0 end) as pulled_in_amount,
        count(case when movements.is_pushed_out then 1 end) as pushed_out_count,
        sum(case when movements.is_pushed_out then movements.closing_amount else 0 end) as pushed_out_amount
    from movements
    inner join opportunity_dimensions
        on movements.opportunity_id = opportunity_dimensions.opportunity_id
    group by
        movements.month_start_date,
        opportunity_dimensions.dimension_name,
        opportunity_dimensions.dimension_value
),

spine as (
    select
        months.month_start_date,
        months.month_end_date,
        months.balance_date,
        members.dimension_name,
        members.dimension_value,
        members.dimension_label
    from months
    cross join members
),

final as (
    select
        spine.month_start_date,
        spine.month_end_date,
        spine.balance_date,
        spine.dimension_name,
        spine.dimension_value,
        spine.dimension_label,
        cast(coalesce(aggregated.opening_count, 0) as integer) as opening_count,
        cast(coalesce(aggregated.opening_amount, 0) as decimal(18, 2)) as opening_amount,
        cast(coalesce(aggregated.created_count, 0) as integer) as created_count,
        cast(coalesce(aggregated.created_amount, 0) as decimal(18, 2)) as created_amount,
        cast(coalesce(aggregated.increased_count, 0) as integer) as increased_count,
        cast(coalesce(aggregated.increased_amount, 0) as decimal(18, 2)) as increased_amount,
        cast(coalesce(aggregated.decreased_count, 0) as integer) as decreased_count,
        cast(coalesce(aggregated.decreased_amount, 0) as decimal(18, 2)) as decreased_amount,
        cast(coalesce(aggregated.won_count, 0) as integer) as won_count,
        cast(coalesce(aggregated.won_amount, 0) as decimal(18, 2)) as won_amount,
        cast(coalesce(aggregated.lost_count, 0) as integer) as lost_count,
        cast(coalesce(aggregated.lost_amount, 0) as decimal(18, 2)) as lost_amount,
        cast(coalesce(aggregated.reopened_count, 0) as integer) as reopened_count,
        cast(coalesce(aggregated.reopened_amount, 0) as decimal(18, 2)) as reopened_amount,
        cast(coalesce(aggregated.exited_unknown_count, 0) as integer) as exited_unknown_count,
        cast(coalesce(aggregated.exited_unknown_amount, 0) as decimal(18, 2)) as exited_unknown_amount,
        cast(coalesce(aggregated.closing_count, 0) as integer) as closing_count,
        cast(coalesce(aggregated.closing_amount, 0) as decimal(18, 2)) as closing_amount,
        cast(coalesce(aggregated.opening_without_amount_count, 0) as integer) as opening_without_amount_count,
        cast(coalesce(aggregated.closing_without_amount_count, 0) as integer) as closing_without_amount_count,
        cast(coalesce(aggregated.pulled_in_count, 0) as integer) as pulled_in_count,
        cast(coalesce(aggregated.pulled_in_amount, 0) as decimal(18, 2)) as pulled_in_amount,
        cast(coalesce(aggregated.pushed_out_count, 0) as integer) as pushed_out_count,
        cast(coalesce(aggregated.pushed_out_amount, 0) as decimal(18, 2)) as pushed_out_amount
    from spine
    left join aggregated
        on
            spine.month_start_date = aggregated.month_start_date
            and spine.dimension_name = aggregated.dimension_name
            and spine.dimension_value = aggregated.dimension_value
)

select * from final
