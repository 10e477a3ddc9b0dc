{#- Stage changes of the opportunities whose export has no stage history,
    read from the warehouse's snapshots (int_opportunity_versions_collapsed):
    one row per run of versions in the same raw stage, for the deals the
    snapshots saw change stage at least once (a deal seen in one stage only
    keeps the treatment of a deal without history). A change is dated at the
    version time of its first version (the CRM's updated_at, never after
    the load time, or the load time when updated_at did not advance): precise to the export's updated_at at best, to the
    load that carried it at worst; a stage held between two exports and
    left before the second is never seen. The first run counts from the
    deal's creation when it is an open stage (the stage first seen is taken
    as held since creation, as for a deal without history); a closed first
    run (a deal first seen closed, then re-opened) starts when it was seen.
    Columns as int_opportunity_stage_history_converted; stage_history_id is
    'snapshot:' || the first version's id. -#}
with versions as (
    select * from {{ ref('int_opportunity_versions_collapsed') }}
),

stage_history as (
    select * from {{ ref('int_opportunity_stage_history_converted') }}
),

with_stage_history as (
    select distinct opportunity_id
    from stage_history
),

without_stage_history as (
    select versions.*
    from versions
    left join with_stage_history
        on versions.opportunity_id = with_stage_history.opportunity_id
    where with_stage_history.opportunity_id is null
),

compared as (
    select
        *,
        lag(raw_stage_name) over (partition by opportunity_id order by version_number) as previous_raw_stage_name
    from without_stage_history
),

stage_runs as (
    select
        *,
        count(*) over (partition by opportunity_id) as stage_run_count,
        row_number() over (partition by opportunity_id order by version_number) as stage_run_number
    from compared
    where version_number = 1 or {{ is_distinct('raw_stage_name', 'previous_raw_stage_name') }}
),

final as (
    select
        'snapshot:' || opportunity_version_id as stage_history_id,
        opportunity_id,
        stage_name,
        stage_order,
        stage_probability,
        is_closed,
        is_won,
        raw_stage_name,
        amount_local,
        currency_code,
        exchange_rate,
        amount,
        cast(null as {{ dbt.type_string() }}) as changed_by_rep_id,
        case
            when stage_run_number = 1 and not coalesce(is_closed, false) and created_at < valid_from_at
                then created_at
            else valid_from_at
        end as entered_at,
        loaded_at
    from stage_runs
    where stage_run_count > 1
)

select * from final
