{#- The type-2 history of every account's owner and segment (industry,
    employee count) and region (KPI H1), from the versions the loader
    landed, collapsed into states as int_opportunity_versions_collapsed
    collapses opportunity versions (macro versions_collapsed_ctes: from the
    CRM's updated_at when it advanced, never after the load time, else the
    load time, until the next state; a row landed after a newer version
    changes nothing; consecutive equal states are one version; a soft
    delete ends the last version). The region is standardised through the regions seed
    as int_accounts_mapped does it. -#}
{%- set tracked = ['owner_rep_id', 'industry', 'employee_count', 'region', 'is_deleted'] %}
with versions as (
    select * from {{ ref('stg_crm__account_versions') }}
),

regions as (
    select * from {{ ref('stg_reference__regions') }}
),

{{ versions_collapsed_ctes('account_id', tracked) }},

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
