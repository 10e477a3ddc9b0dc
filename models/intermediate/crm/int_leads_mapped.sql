{#- Leads with the canonical lead source and channel group of the
    lead_sources seed (matched on the lower-cased, trimmed raw value). -#}
with staged as (
    select * from {{ ref('stg_crm__leads') }}
),

lead_sources as (
    select * from {{ ref('stg_reference__lead_sources') }}
),

final as (
    select
        staged.lead_id,
        staged.first_name,
        staged.last_name,
        staged.email,
        staged.is_valid_email,
        staged.phone,
        staged.is_valid_phone,
        staged.company_name,
        lead_sources.lead_source,
        lead_sources.channel_group,
        staged.raw_lead_source,
        staged.form_id,
        staged.submitted_at,
        staged.campaign_id,
        staged.owner_rep_id,
        staged.status,
        staged.created_at,
        staged.qualified_at,
        staged.converted_at,
        staged.converted_account_id,
        staged.converted_contact_id,
        staged.converted_opportunity_id,
        staged.updated_at,
        staged.loaded_at
    from staged
    left join lead_sources
        on {{ map_through_seed('staged.raw_lead_source') }} = lead_sources.raw_lead_source
)

select * from final
