{#- The export's stage history wins: an opportunity with any stage history
    row takes its stages from it; one without takes them from the
    warehouse's snapshots (int_opportunity_snapshot_stage_changes), precise
    to the version time of the snapshot that first showed the stage. -#}
with from_export as (
    select * from {{ ref('int_opportunity_stage_history_converted') }}
),

from_snapshots as (
    select * from {{ ref('int_opportunity_snapshot_stage_changes') }}
),

stage_history as (
    select
        stage_history_id,
        opportunity_id,
        stage_name,
        stage_order,
        stage_probability,
        is_closed,
        is_won,
        raw_stage_name,
        amount_local,
        currency_code,
        amount,
        changed_by_rep_id,
        entered_at,
        'stage_history' as history_source
    from from_export
    union all
    select
        stage_history_id,
        opportunity_id,
        stage_name,
        stage_order,
        stage_probability,
        is_closed,
        is_won,
        raw_stage_name,
        amount_local,
        currency_code,
        amount,
        changed_by_rep_id,
        entered_at,
        'snapshot' as history_source
    from from_snapshots
),

sequenced as (
    select
        *,
        row_number() over (
            partition by opportunity_id
            order by entered_at, stage_history_id
        ) as stage_sequence_number,
        lead(entered_at) over (
            partition by opportunity_id
            order by entered_at, stage_history_id
        ) as exited_at,
        lead(stage_name) over (
            partition by opportunity_id
            order by entered_at, stage_history_id
        ) as next_stage_name,
        lead(stage_order) over (
            partition by opportunity_id
            order by entered_at, stage_history_id
        ) as next_stage_order,
        lag(stage_name) over (
            partition by opportunity_id
            order by entered_at, stage_history_id
        ) as previous_stage_name,
        lag(is_closed) over (
            partition by opportunity_id
            order by entered_at, stage_history_id
        ) as previous_is_closed
    from stage_history
),

final as (
    select
        stage_history_id,
        opportunity_id,
        cast(stage_sequence_number as integer) as stage_sequence_number,
        stage_name,
        stage_order,
        stage_probability,
        is_closed,
        is_won,
        raw_stage_name,
        amount_local,
        currency_code,
        amount,
        changed_by_rep_id,
        entered_at,
        exited_at,
        history_source,
        next_stage_name,
        previous_stage_name,
        exited_at is null as is_current_stage,
        coalesce(
            next_stage_order > stage_order and next_stage_name != 'closed_lost',
            false
        ) as is_advance,
        coalesce(previous_is_closed and not is_closed, false) as is_reopening,
        cast({{ dbt.datediff('entered_at', 'exited_at', 'second') | trim }} as {{ type_double() }}) / 3600
            as hours_in_stage
    from sequenced
)

select * from final
