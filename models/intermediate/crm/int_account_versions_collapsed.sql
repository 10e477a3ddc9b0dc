{#- The type-2 history of every account's owner and segment (industry,
    employee count) and region (KPI H1), from the versions the loader
    landed, dated as int_opportunity_versions_collapsed dates opportunity
    versions: from the CRM's updated_at when it advanced (never after the
    load time), else the load time, until the next state; a row landed after a newer version changes
    nothing; consecutive equal states are one version; a soft delete ends
    the last version. The region is standardised through the regions seed
    as int_accounts_mapped does it. -#}
{%- set tracked = ['owner_rep_id', 'industry', 'employee_count', 'region', 'is_deleted'] %}
with versions as (
    select * from {{ ref('stg_crm__account_versions') }}
),

regions as (
    select * from {{ ref('stg_reference__regions') }}
),

ordered as (
    select
        *,
        max(updated_at) over (
            partition by account_id
            order by loaded_at, source_file, source_row
            rows between unbounded preceding and 1 preceding
        ) as earlier_max_updated_at
    from versions
),

effective as (
    select
        *,
        lag(updated_at) over (
            partition by account_id
            order by loaded_at, source_file, source_row
        ) as previous_updated_at
    from ordered
    where earlier_max_updated_at is null or updated_at >= earlier_max_updated_at
),

-- the CRM's time when it advanced (never after the load), else the load's
dated as (
    select
        *,
        case
            when previous_updated_at is not null and updated_at <= previous_updated_at then loaded_at
            when updated_at < loaded_at then updated_at
            else loaded_at
        end as version_at
    from effective
),

compared as (
    select
        *,
        {%- for column in tracked %}
            lag({{ column }}) over (
                partition by account_id
                order by version_at, loaded_at, source_file, source_row
            ) as previous_{{ column }},
        {%- endfor %}
        row_number() over (
            partition by account_id
            order by version_at, loaded_at, source_file, source_row
        ) as effective_row_number
    from dated
),

changes as (
    select
        *,
        lead(version_at) over (
            partition by account_id
            order by version_at, loaded_at, source_file, source_row
        ) as next_version_at
    from compared
    where
        effective_row_number = 1
        {%- for column in tracked %}
            or {{ is_distinct(column, 'previous_' ~ column) }}
        {%- endfor %}
),

held as (
    select
        *,
        row_number() over (
            partition by account_id
            order by version_at, loaded_at, source_file, source_row
        ) as version_number
    from changes
    where
        not is_deleted
        and (next_version_at is null or next_version_at > version_at)
),

final as (
    select
        held.account_id || '-v' || cast(held.version_number as {{ dbt.type_string() }}) as account_version_id,
        held.account_id,
        cast(held.version_number as integer) as version_number,
        held.owner_rep_id,
        held.industry,
        held.employee_count,
        {{ standard_region('held.region', 'regions') }} as region,
        held.region as raw_region,
        held.updated_at,
        held.loaded_at,
        held.version_at as valid_from_at,
        held.next_version_at as valid_to_at,
        held.next_version_at is null as is_current_version
    from held
    left join regions
        on {{ map_through_seed('held.region') }} = regions.raw_region
)

select * from final
