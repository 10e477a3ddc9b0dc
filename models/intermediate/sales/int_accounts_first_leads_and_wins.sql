{#- One row per account known to the accounts, to a won opportunity or to a
    matched lead: its region, its first lead (for lead-to-close days, S6) and
    its first won deal (for new vs existing customers, S11). -#}
with accounts as (
    select * from {{ ref('int_accounts_mapped') }}
),

opportunities as (
    select * from {{ ref('int_opportunities_converted') }}
),

account_records as (
    select * from {{ ref('int_account_records_matched') }}
),

first_wins as (
    select
        account_id,
        min(closed_at) as first_won_at
    from opportunities
    where is_won and account_id is not null
    group by account_id
),

first_leads as (
    select
        account_id,
        min(record_at) as first_lead_created_at
    from account_records
    where record_type = 'lead' and account_id is not null
    group by account_id
),

account_ids as (
    select account_id from accounts
    union
    select account_id from first_wins
    union
    select account_id from first_leads
),

final as (
    select
        account_ids.account_id,
        accounts.region,
        first_leads.first_lead_created_at,
        first_wins.first_won_at
    from account_ids
    left join accounts
        on account_ids.account_id = accounts.account_id
    left join first_leads
        on account_ids.account_id = first_leads.account_id
    left join first_wins
        on account_ids.account_id = first_wins.account_id
)

select * from final
