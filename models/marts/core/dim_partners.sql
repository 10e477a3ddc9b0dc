with partners as (
    select * from {{ ref('stg_crm__partners') }}
),

regions as (
    select * from {{ ref('stg_reference__regions') }}
),

final as (
    select
        partners.partner_id,
        partners.partner_name,
        partners.partner_tier,
        partners.partner_type,
        {{ standard_region('partners.region', 'regions') }} as region,
        partners.partner_manager_rep_id,
        partners.joined_date
    from partners
    left join regions
        on {{ map_through_seed('partners.region') }} = regions.raw_region
)

select * from final
