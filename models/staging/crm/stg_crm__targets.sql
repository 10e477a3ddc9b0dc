with source as (
    {{ latest_versions(source('crm', 'targets'), 'target_id', 'updated_at') }}
),

lead_sources as (
    select * from {{ ref('stg_reference__lead_sources') }}
),

renamed as (
    select
        ---------- ids
        target_id,
        rep_id,
        team_id,
        ---------- strings
        case
            when rep_id is not null then 'rep'
            when team_id is not null then 'team'
            when lead_source is not null then 'lead_source'
        end as target_level,
        {{ map_through_seed('lead_source') }} as raw_lead_source,
        metric,
        ---------- numerics
        cast(target_value as decimal(18, 2)) as target_value,
        ---------- dates and timestamps
        cast({{ dbt.date_trunc('month', 'target_month') }} as date) as target_month,
        {{ to_utc_timestamp('updated_at') }} as updated_at,
        _loaded_at as loaded_at
    from source
),

final as (
    select
        renamed.target_id,
        renamed.rep_id,
        renamed.team_id,
        renamed.target_level,
        lead_sources.lead_source,
        renamed.raw_lead_source,
        renamed.metric,
        renamed.target_month,
        renamed.target_value,
        renamed.updated_at,
        renamed.loaded_at
    from renamed
    left join lead_sources
        on renamed.raw_lead_source = lead_sources.raw_lead_source
)

select * from final
