{#- The lead_sources seed plus the lead-source rows the import's mapping adds
    (seed_rows), one row per raw lead source. A mapping's row wins over the
    seed's for the same raw value. -#}
with seed_rows as (
    select
        {{ map_through_seed('raw_lead_source') }} as raw_lead_source,
        lead_source,
        channel_group
    from {{ ref('lead_sources') }}
),

mapping_rows as (
    {{ extra_seed_rows('lead_sources', ['raw_lead_source', 'lead_source', 'channel_group']) }}
),

unioned as (
    select
        {{ map_through_seed('raw_lead_source') }} as raw_lead_source,
        lower(trim(lead_source)) as lead_source,
        lower(trim(channel_group)) as channel_group,
        'mapping' as row_source
    from mapping_rows
    where {{ map_through_seed('raw_lead_source') }} is not null
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
            partition by raw_lead_source
            order by case when row_source = 'mapping' then 0 else 1 end, lead_source, channel_group
        ) as row_rank
    from unioned
),

final as (
    select
        raw_lead_source,
        lead_source,
        channel_group,
        row_source
    from ranked
    where row_rank = 1
)

select * from final
