{#- One row per account with recurring revenue (kpi_mrr_accounts_monthly) and
    dimension (long format): 'all', the account's region and its owner (the
    account's current values in dim_accounts; 'unknown' when the account or
    the value is unknown). -#}
with mrr_accounts as (
    select distinct account_id from {{ ref('kpi_mrr_accounts_monthly') }}
),

accounts as (
    select * from {{ ref('dim_accounts') }}
),

reps as (
    select * from {{ ref('dim_reps') }}
),

labelled as (
    select
        mrr_accounts.account_id,
        coalesce(accounts.region, 'unknown') as region,
        coalesce(accounts.owner_rep_id, 'unknown') as owner_value,
        coalesce(reps.rep_name, 'unknown') as owner_label
    from mrr_accounts
    left join accounts
        on mrr_accounts.account_id = accounts.account_id
    left join reps
        on accounts.owner_rep_id = reps.rep_id
),

final as (
    select
        account_id,
        'all' as dimension_name,
        'all' as dimension_value,
        'all' as dimension_label
    from labelled
    union all
    select
        account_id,
        'region' as dimension_name,
        region as dimension_value,
        region as dimension_label
    from labelled
    union all
    select
        account_id,
        'owner' as dimension_name,
        owner_value as dimension_value,
        owner_label as dimension_label
    from labelled
)

select * from final
