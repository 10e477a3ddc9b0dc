{#- The time line of fct_opportunity_history: one row per opportunity and
    interval between two boundaries (a snapshot version's start or end, an
    entry of the export's stage history, a close the snapshots carry in an
    unmapped stage), with the start of the snapshot version it lies in and
    the stage-history entry in force. Versions and stage entries of an
    opportunity do not overlap, so the one in force is the one that started
    last at or before the interval's start, unless it has ended: carried
    forward by a running max and matched by an equality join. A separate
    table because one query joining the intervals to the stage history, the
    versions and the first version did not fit DuckDB's 1500MB at scale 100. -#}
with versions as (
    select * from {{ ref('int_opportunity_versions_collapsed') }}
),

stage_intervals as (
    select * from {{ ref('int_opportunity_stage_intervals') }}
    where history_source = 'stage_history'
),

-- every boundary, with the version and the stage entry that start there
boundaries as (
    select
        opportunity_id,
        valid_from_at as boundary_at,
        valid_from_at as version_from_at,
        cast(null as timestamp) as stage_entered_at
    from versions
    union all
    select
        opportunity_id,
        valid_to_at as boundary_at,
        cast(null as timestamp) as version_from_at,
        cast(null as timestamp) as stage_entered_at
    from versions
    where valid_to_at is not null
    union all
    select
        opportunity_id,
        entered_at as boundary_at,
        cast(null as timestamp) as version_from_at,
        entered_at as stage_entered_at
    from stage_intervals
    union all
    -- a deal in an unmapped stage is open until the export's close
    select
        opportunity_id,
        closed_at as boundary_at,
        cast(null as timestamp) as version_from_at,
        cast(null as timestamp) as stage_entered_at
    from versions
    where closed_at is not null and stage_name is null
),

boundary_points as (
    select
        opportunity_id,
        boundary_at,
        max(version_from_at) as version_from_at,
        max(stage_entered_at) as stage_entered_at
    from boundaries
    group by opportunity_id, boundary_at
),

segments as (
    select
        opportunity_id,
        boundary_at as valid_from_at,
        lead(boundary_at) over (partition by opportunity_id order by boundary_at) as valid_to_at,
        max(version_from_at) over (
            partition by opportunity_id order by boundary_at rows between unbounded preceding and current row
        ) as version_from_at,
        max(stage_entered_at) over (
            partition by opportunity_id order by boundary_at rows between unbounded preceding and current row
        ) as stage_entered_at
    from boundary_points
),

final as (
    select
        segments.opportunity_id,
        segments.valid_from_at,
        segments.valid_to_at,
        segments.version_from_at,
        stage_intervals.stage_history_id,
        stage_intervals.stage_name,
        stage_intervals.stage_order,
        stage_intervals.is_closed,
        stage_intervals.is_won,
        stage_intervals.raw_stage_name,
        stage_intervals.amount_local,
        stage_intervals.currency_code,
        stage_intervals.amount
    from segments
    left join stage_intervals
        on
            segments.opportunity_id = stage_intervals.opportunity_id
            and segments.stage_entered_at = stage_intervals.entered_at
            and (stage_intervals.exited_at is null or segments.valid_from_at < stage_intervals.exited_at)
)

select * from final
