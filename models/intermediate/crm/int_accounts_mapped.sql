{#- Accounts with their region standardised through the regions seed
    (stg_reference__regions, matched on the lower-cased, trimmed raw value);
    a region the seed does not know is kept as written. -#}
with staged as (
    select * from {{ ref('stg_crm__accounts') }}
),

regions as (
    select * from {{ ref('stg_reference__regions') }}
),

final as (
    select
        staged.account_id,
        staged.owner_rep_id,
        staged.partner_id,
        staged.account_name,
        staged.industry,
        staged.country,
        {{ standard_region('staged.region', 'regions') }} as region,
        staged.region as raw_region,
        staged.employee_count,
        staged.created_at,
        staged.updated_at,
        staged.loaded_at
    from staged
    left join regions
        on {{ map_through_seed('staged.region') }} = regions.raw_region
)

select * from final
