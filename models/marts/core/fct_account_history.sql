{#- The type-2 history of every account's owner, segment (industry,
    employee count) and region (KPI H1), from the warehouse's snapshots
    (int_account_versions_collapsed): the export carries no account history,
    so every interval starts at a version time (the CRM's updated_at when
    it advanced, never after the load time; else the load time). -#}
with versions as (
    select * from {{ ref('int_account_versions_collapsed') }}
),

final as (
    select
        account_version_id,
        account_id,
        version_number,
        owner_rep_id,
        industry,
        employee_count,
        region,
        raw_region,
        valid_from_at,
        valid_to_at,
        is_current_version
    from versions
)

select * from final
