{#- The stages seed plus the stage rows the import's mapping adds (seed_rows),
    one row per raw stage name. A mapping's row wins over the seed's for the
    same raw name; a mapping row that leaves the order, probability or flags
    blank takes those of its canonical stage (the seed row named after it). -#}
with seed_rows as (
    select
        {{ map_through_seed('raw_stage_name') }} as raw_stage_name,
        stage_name,
        cast(stage_order as integer) as stage_order,
        cast(default_probability as decimal(5, 2)) as default_probability,
        cast(is_closed as boolean) as is_closed,
        cast(is_won as boolean) as is_won
    from {{ ref('stages') }}
),

mapping_rows as (
    {{ extra_seed_rows('stages', [
        'raw_stage_name', 'stage_name', 'stage_order', 'default_probability', 'is_closed', 'is_won',
    ]) }}
),

-- the seed row named after each canonical stage holds its defaults
canonical as (
    select * from seed_rows
    where raw_stage_name = stage_name
),

mapping_rows_completed as (
    select
        {{ map_through_seed('mapping_rows.raw_stage_name') }} as raw_stage_name,
        lower(trim(mapping_rows.stage_name)) as stage_name,
        coalesce(cast(mapping_rows.stage_order as integer), canonical.stage_order) as stage_order,
        coalesce(
            cast(mapping_rows.default_probability as decimal(5, 2)), canonical.default_probability
        ) as default_probability,
        coalesce(cast(mapping_rows.is_closed as boolean), canonical.is_closed) as is_closed,
        coalesce(cast(mapping_rows.is_won as boolean), canonical.is_won) as is_won
    from mapping_rows
    left join canonical
        on lower(trim(mapping_rows.stage_name)) = canonical.stage_name
    where {{ map_through_seed('mapping_rows.raw_stage_name') }} is not null
),

unioned as (
    select
        *,
        'mapping' as row_source
    from mapping_rows_completed
    union all
    select
        *,
        'seed' as row_source
    from seed_rows
),

ranked as (
    select
        *,
        row_number() over (
            partition by raw_stage_name
            order by case when row_source = 'mapping' then 0 else 1 end, stage_name, stage_order
        ) as row_rank
    from unioned
),

final as (
    select
        raw_stage_name,
        stage_name,
        stage_order,
        default_probability,
        is_closed,
        is_won,
        row_source
    from ranked
    where row_rank = 1
)

select * from final
