with accounts as (
    select * from {{ ref('int_accounts_mapped') }}
),

opportunities as (
    select * from {{ ref('int_opportunities_converted') }}
),

won_deals as (
    select
        account_id,
        min(closed_at) as first_won_at,
        count(*) as won_opportunity_count
    from opportunities
    where is_won and account_id is not null
    group by account_id
),

final as (
    select
        accounts.account_id,
        accounts.account_name,
        accounts.industry,
        accounts.country,
        accounts.region,
        accounts.employee_count,
        accounts.owner_rep_id,
        accounts.partner_id,
        accounts.created_at,
        won_deals.first_won_at,
        cast(won_deals.first_won_at as date) as first_won_date,
        cast(coalesce(won_deals.won_opportunity_count, 0) as integer) as won_opportunity_count,
        won_deals.account_id is not null as has_won_opportunity
    from accounts
    left join won_deals
        on accounts.account_id = won_deals.account_id
)

select * from final
