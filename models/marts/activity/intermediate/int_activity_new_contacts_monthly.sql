{#- New contacts (A2) per rep and month up to the as-of date: the accounts
    whose first-ever done activity (int_accounts_first_contacted) was the
    rep's in that month while the account was still a prospect. -#}
with first_contacts as (
    select * from {{ ref('int_accounts_first_contacted') }}
),

as_of as (
    select * from {{ ref('int_as_of_date') }}
),

final as (
    select
        first_contacts.first_activity_rep_id as rep_id,
        first_contacts.first_activity_month_start_date as month_start_date,
        count(*) as new_contacts
    from first_contacts
    cross join as_of
    where
        first_contacts.is_prospect_at_first_activity
        and first_contacts.first_activity_rep_id is not null
        and first_contacts.first_activity_date <= as_of.as_of_date
    group by first_contacts.first_activity_rep_id, first_contacts.first_activity_month_start_date
)

select * from final
