{#- Targets with the canonical lead source of a lead-source target. -#}
with staged as (
    select * from {{ ref('stg_crm__targets') }}
),

lead_sources as (
    select * from {{ ref('stg_reference__lead_sources') }}
),

final as (
    select
        staged.target_id,
        staged.rep_id,
        staged.team_id,
        staged.target_level,
        lead_sources.lead_source,
        staged.raw_lead_source,
        staged.metric,
        staged.target_month,
        staged.target_value,
        staged.updated_at,
        staged.loaded_at
    from staged
    left join lead_sources
        on staged.raw_lead_source = lead_sources.raw_lead_source
)

select * from final
