{#- The type-2 history of every opportunity (KPI H1): one row per interval
    in which nothing tracked changed. Two sources are merged on one time
    line: the warehouse's snapshots (int_opportunity_versions_collapsed,
    every attribute) and, where the export has it, its stage history (the
    stage intervals of int_opportunity_stage_intervals whose history_source
    is 'stage_history'), which wins for the stage. The intervals, with the
    stage entry and the start of the version each lies in, come from
    int_opportunity_history_segments. Before the first snapshot (stage
    history that starts earlier) the attributes are the first snapshot's
    (attributes_source 'first_snapshot'); after a soft delete nothing is
    held. -#}
with versions as (
    select * from {{ ref('int_opportunity_versions_collapsed') }}
),

first_versions as (
    select * from versions
    where version_number = 1
),

segments as (
    select * from {{ ref('int_opportunity_history_segments') }}
),

matched as (
    select
        segments.opportunity_id,
        segments.valid_from_at,
        segments.valid_to_at,
        versions.opportunity_version_id,
        segments.stage_history_id,
        segments.valid_from_at < first_versions.valid_from_at as is_before_first_snapshot,
        first_versions.created_at,
        -- the attributes: the snapshot in force, else (before the first) the first snapshot
        coalesce(versions.owner_rep_id, first_versions.owner_rep_id) as owner_rep_id,
        coalesce(versions.forecast_category, first_versions.forecast_category) as forecast_category,
        coalesce(versions.expected_close_date, first_versions.expected_close_date) as expected_close_date,
        case when versions.opportunity_version_id is not null then versions.closed_at else first_versions.closed_at end
            as closed_at,
        -- the stage: the export's stage history where it covers the interval
        case when segments.stage_history_id is not null then 'stage_history' else 'snapshot' end
            as stage_source,
        case
            when segments.stage_history_id is not null then segments.stage_name
            else versions.stage_name
        end as stage_name,
        case
            when segments.stage_history_id is not null then segments.stage_order
            else versions.stage_order
        end as stage_order,
        case
            when segments.stage_history_id is not null then segments.is_closed
            else versions.is_closed
        end as is_closed,
        case
            when segments.stage_history_id is not null then segments.is_won
            else versions.is_won
        end as is_won,
        case
            when segments.stage_history_id is not null then segments.raw_stage_name
            else versions.raw_stage_name
        end as raw_stage_name,
        -- the amount: the snapshot's (newer than the stage entry's) where one is in force
        case
            when versions.opportunity_version_id is not null then versions.amount_local
            else segments.amount_local
        end as amount_local,
        case
            when versions.opportunity_version_id is not null then versions.currency_code
            else segments.currency_code
        end as currency_code,
        case when versions.opportunity_version_id is not null then versions.amount else segments.amount end
            as amount
    from segments
    inner join first_versions
        on segments.opportunity_id = first_versions.opportunity_id
    -- the version in force: the one the interval's start lies in (see the segments)
    left join versions
        on
            segments.opportunity_id = versions.opportunity_id
            and segments.version_from_at = versions.valid_from_at
            and (versions.valid_to_at is null or segments.valid_from_at < versions.valid_to_at)
),

held as (
    select
        *,
        row_number() over (partition by opportunity_id order by valid_from_at) as history_number
    from matched
    where
        opportunity_version_id is not null
        or (stage_history_id is not null and is_before_first_snapshot)
),

final as (
    select
        opportunity_id || '-h' || cast(history_number as {{ dbt.type_string() }}) as opportunity_history_id,
        opportunity_id,
        cast(history_number as integer) as history_number,
        opportunity_version_id,
        stage_history_id,
        stage_source,
        case when is_before_first_snapshot then 'first_snapshot' else 'snapshot' end as attributes_source,
        stage_name,
        stage_order,
        coalesce(is_closed, false) as is_closed,
        coalesce(is_won, false) as is_won,
        -- an unmapped stage is not known to be closed: open until the export's close
        coalesce(not is_closed, closed_at is null or valid_from_at < closed_at) as is_open,
        raw_stage_name,
        amount_local,
        currency_code,
        amount,
        expected_close_date,
        closed_at,
        owner_rep_id,
        forecast_category,
        created_at,
        valid_from_at,
        valid_to_at,
        valid_to_at is null as is_current
    from held
)

select * from final
