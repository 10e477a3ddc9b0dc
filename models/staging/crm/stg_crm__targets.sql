with source as (
    select * from {{ ref('base_crm__targets') }}
    where is_latest_version and not is_deleted_version
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
)

select * from renamed
