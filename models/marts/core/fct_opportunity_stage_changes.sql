with stage_intervals as (
    select * from {{ ref('int_opportunity_stage_intervals') }}
),

opportunities as (
    select * from {{ ref('int_opportunities_converted') }}
),

with_previous as (
    select
        *,
        lag(stage_order) over (
            partition by opportunity_id
            order by stage_sequence_number
        ) as previous_stage_order,
        lag(is_closed) over (
            partition by opportunity_id
            order by stage_sequence_number
        ) as previous_is_closed
    from stage_intervals
),

final as (
    select
        with_previous.stage_history_id,
        with_previous.opportunity_id,
        opportunities.owner_rep_id,
        with_previous.stage_sequence_number,
        with_previous.stage_name,
        with_previous.stage_order,
        with_previous.stage_probability,
        with_previous.is_closed,
        with_previous.is_won,
        with_previous.previous_stage_name,
        with_previous.next_stage_name,
        with_previous.amount,
        with_previous.amount_local,
        with_previous.currency_code,
        with_previous.changed_by_rep_id,
        with_previous.entered_at,
        cast(with_previous.entered_at as date) as entered_date,
        with_previous.exited_at,
        with_previous.hours_in_stage,
        with_previous.is_current_stage,
        with_previous.is_advance,
        with_previous.is_reopening,
        -- forward moves from an open stage into a later open stage or closed_won (order 6)
        cast(
            case
                when
                    not with_previous.previous_is_closed
                    and with_previous.stage_name != 'closed_lost'
                    and with_previous.stage_order > with_previous.previous_stage_order + 1
                    then with_previous.stage_order - with_previous.previous_stage_order - 1
                else 0
            end as integer
        ) as stages_skipped
    from with_previous
    left join opportunities
        on with_previous.opportunity_id = opportunities.opportunity_id
)

select * from final
