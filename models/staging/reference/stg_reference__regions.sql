{#- The regions seed plus the region rows the import's mapping adds
    (seed_rows), one row per raw region. A mapping's row wins over the seed's
    for the same raw value. -#}
with seed_rows as (
    select
        {{ map_through_seed('raw_region') }} as raw_region,
        {{ clean_text('region') }} as region
    from {{ ref('regions') }}
),

mapping_rows as (
    {{ extra_seed_rows('regions', ['raw_region', 'region']) }}
),

unioned as (
    select
        {{ map_through_seed('raw_region') }} as raw_region,
        {{ clean_text('region') }} as region,
        'mapping' as row_source
    from mapping_rows
    where {{ map_through_seed('raw_region') }} is not null
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
            partition by raw_region
            order by case when row_source = 'mapping' then 0 else 1 end, region
        ) as row_rank
    from unioned
),

final as (
    select
        raw_region,
        region,
        row_source
    from ranked
    where row_rank = 1
)

select * from final
