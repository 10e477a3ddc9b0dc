{#- Pipeline waterfall (KPI H2): per month and member of the owner, team and
    region dimensions (the deal's current member, as in every sales KPI
    table) and 'all', the open pipeline at the previous month end, what
    entered it (created, re-opened), what changed in it (increased,
    decreased: amounts known at both ends; became known, became unknown: an
    amount unknown at the start and known at the end or close, or the
    reverse, which is no increase or decrease), what left it (won, lost, without a known outcome) and the open pipeline at
    the month's balance date, as counts and amounts in the reporting
    currency; pulled in and pushed out beside them (they move deals between
    close months, not in or out of the pipeline). One row per month and
    member, zeros included; an amount is null where deals moved but none of
    them had an amount (macro amount_total), and every count and amount is
    null, with data_status 'not in this export', when the export has no
    opportunities. -#}
with movements_all as (
    select * from {{ ref('int_opportunity_waterfall_movements') }}
),

-- amounts of deals without one are null, so a movement of none of them sums to null
movements as (
    select
        *,
        case when entry_kind = 'open' and not is_opening_amount_unknown then opening_amount end as opening_known_amount,
        case when not is_entered_amount_unknown then entered_amount end as entered_known_amount,
        case when not is_exited_amount_unknown then exited_amount end as exited_known_amount,
        case when not is_closing_amount_unknown then closing_amount end as closing_known_amount
    from movements_all
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
        sum(movements.opening_known_amount) as opening_amount,
        count(case when movements.entry_kind = 'created' then 1 end) as created_count,
        sum(case when movements.entry_kind = 'created' then movements.entered_known_amount end) as created_amount,
        count(case when movements.amount_change > 0 then 1 end) as increased_count,
        sum(case when movements.amount_change > 0 then movements.amount_change else 0 end) as increased_amount,
        count(case when movements.amount_change < 0 then 1 end) as decreased_count,
        sum(case when movements.amount_change < 0 then -movements.amount_change else 0 end) as decreased_amount,
        count(case when movements.is_amount_became_known then 1 end) as became_known_count,
        sum(case when movements.is_amount_became_known then movements.amount_became_known else 0 end)
            as became_known_amount,
        count(case when movements.is_amount_became_unknown then 1 end) as became_unknown_count,
        sum(case when movements.is_amount_became_unknown then movements.amount_became_unknown else 0 end)
            as became_unknown_amount,
        count(case when movements.exit_kind = 'won' then 1 end) as won_count,
        sum(case when movements.exit_kind = 'won' then movements.exited_known_amount end) as won_amount,
        count(case when movements.exit_kind = 'lost' then 1 end) as lost_count,
        sum(case when movements.exit_kind = 'lost' then movements.exited_known_amount end) as lost_amount,
        count(case when movements.entry_kind = 'reopened' then 1 end) as reopened_count,
        sum(case when movements.entry_kind = 'reopened' then movements.entered_known_amount end) as reopened_amount,
        count(case when movements.exit_kind = 'exited_unknown' then 1 end) as exited_unknown_count,
        sum(case when movements.exit_kind = 'exited_unknown' then movements.exited_known_amount end)
            as exited_unknown_amount,
        count(case when movements.exit_kind = 'open' then 1 end) as closing_count,
        sum(case when movements.exit_kind = 'open' then movements.closing_known_amount end) as closing_amount,
        count(case when movements.is_opening_amount_unknown then 1 end) as opening_without_amount_count,
        count(case when movements.is_closing_amount_unknown then 1 end) as closing_without_amount_count,
        count(case when movements.is_pulled_in then 1 end) as pulled_in_count,
        sum(case when movements.is_pulled_in then movements.closing_known_amount end) as pulled_in_amount,
        count(case when movements.is_pushed_out then 1 end) as pushed_out_count,
        sum(case when movements.is_pushed_out then movements.closing_known_amount end) as pushed_out_amount
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
        case when {{ entities_present('opportunities') }} then 'in this export' else 'not in this export' end
            as data_status,
        cast({{ coalesce_if_present('opportunities', 'aggregated.opening_count') }} as integer) as opening_count,
        {{ amount_total('aggregated.opening_amount', 'aggregated.opening_count', entities='opportunities') }}
            as opening_amount,
        cast({{ coalesce_if_present('opportunities', 'aggregated.created_count') }} as integer) as created_count,
        {{ amount_total('aggregated.created_amount', 'aggregated.created_count', entities='opportunities') }}
            as created_amount,
        cast({{ coalesce_if_present('opportunities', 'aggregated.increased_count') }} as integer) as increased_count,
        {{ amount_total('aggregated.increased_amount', 'aggregated.increased_count', entities='opportunities') }}
            as increased_amount,
        cast({{ coalesce_if_present('opportunities', 'aggregated.decreased_count') }} as integer) as decreased_count,
        {{ amount_total('aggregated.decreased_amount', 'aggregated.decreased_count', entities='opportunities') }}
            as decreased_amount,
        cast({{ coalesce_if_present('opportunities', 'aggregated.became_known_count') }} as integer)
            as became_known_count,
        {{ amount_total(
            'aggregated.became_known_amount', 'aggregated.became_known_count', entities='opportunities'
        ) }} as became_known_amount,
        cast({{ coalesce_if_present('opportunities', 'aggregated.became_unknown_count') }} as integer)
            as became_unknown_count,
        {{ amount_total(
            'aggregated.became_unknown_amount', 'aggregated.became_unknown_count', entities='opportunities'
        ) }} as became_unknown_amount,
        cast({{ coalesce_if_present('opportunities', 'aggregated.won_count') }} as integer) as won_count,
        {{ amount_total('aggregated.won_amount', 'aggregated.won_count', entities='opportunities') }} as won_amount,
        cast({{ coalesce_if_present('opportunities', 'aggregated.lost_count') }} as integer) as lost_count,
        {{ amount_total('aggregated.lost_amount', 'aggregated.lost_count', entities='opportunities') }}
            as lost_amount,
        cast({{ coalesce_if_present('opportunities', 'aggregated.reopened_count') }} as integer) as reopened_count,
        {{ amount_total('aggregated.reopened_amount', 'aggregated.reopened_count', entities='opportunities') }}
            as reopened_amount,
        cast({{ coalesce_if_present('opportunities', 'aggregated.exited_unknown_count') }} as integer)
            as exited_unknown_count,
        {{ amount_total(
            'aggregated.exited_unknown_amount', 'aggregated.exited_unknown_count', entities='opportunities'
        ) }} as exited_unknown_amount,
        cast({{ coalesce_if_present('opportunities', 'aggregated.closing_count') }} as integer) as closing_count,
        {{ amount_total('aggregated.closing_amount', 'aggregated.closing_count', entities='opportunities') }}
            as closing_amount,
        cast({{ coalesce_if_present('opportunities', 'aggregated.opening_without_amount_count') }} as integer)
            as opening_without_amount_count,
        cast({{ coalesce_if_present('opportunities', 'aggregated.closing_without_amount_count') }} as integer)
            as closing_without_amount_count,
        cast({{ coalesce_if_present('opportunities', 'aggregated.pulled_in_count') }} as integer) as pulled_in_count,
        {{ amount_total('aggregated.pulled_in_amount', 'aggregated.pulled_in_count', entities='opportunities') }}
            as pulled_in_amount,
        cast({{ coalesce_if_present('opportunities', 'aggregated.pushed_out_count') }} as integer)
            as pushed_out_count,
        {{ amount_total('aggregated.pushed_out_amount', 'aggregated.pushed_out_count', entities='opportunities') }}
            as pushed_out_amount
    from spine
    left join aggregated
        on
            spine.month_start_date = aggregated.month_start_date
            and spine.dimension_name = aggregated.dimension_name
            and spine.dimension_value = aggregated.dimension_value
)

select * from final
