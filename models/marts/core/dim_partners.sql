with partners as (
    select * from {{ ref('stg_crm__partners') }}
),

final as (
    select
        partner_id,
        partner_name,
        partner_tier,
        partner_type,
        region,
        partner_manager_rep_id,
        joined_date
    from partners
)

select * from final
