{#- Cohort retention curves (R4): one row per start cohort (the month an
    account first paid: MRR > 0, or contracts in force of unknown value) and
    month since the start (0, 1, 2, ... up to the as-of month): the cohort's
    accounts still paying and their MRR, as counts and as shares of month 0.
    No rows when the export has no contracts (kpi_mrr_movements_monthly and
    dq_entity_presence say "not in this export"). -#}
with account_months as (
    select * from {{ ref('kpi_mrr_accounts_monthly') }}
),

cohorts as (
    select
        account_id,
        min(month_start_date) as cohort_month_start_date
    from account_months
    where is_paying
    group by account_id
),

curve_rows as (
    select
        cohorts.cohort_month_start_date,
        cast(
            {{ dbt.datediff('cohorts.cohort_month_start_date', 'account_months.month_start_date', 'month') | trim }}
            as integer
        ) as months_since_start,
        account_months.month_start_date,
        account_months.account_id,
        account_months.is_paying,
        account_months.mrr
    from cohorts
    inner join account_months
        on
            cohorts.account_id = account_months.account_id
            and cohorts.cohort_month_start_date <= account_months.month_start_date
),

curves as (
    select
        cohort_month_start_date,
        months_since_start,
        month_start_date,
        count(*) as cohort_accounts,
        count(case when is_paying then 1 end) as active_accounts,
        count(case when is_paying and mrr is null then 1 end) as active_accounts_with_unknown_mrr,
        sum(mrr) as active_mrr
    from curve_rows
    group by cohort_month_start_date, months_since_start, month_start_date
),

starts as (
    select
        cohort_month_start_date,
        active_mrr as starting_mrr,
        active_accounts_with_unknown_mrr as starting_accounts_with_unknown_mrr
    from curves
    where months_since_start = 0
),

final as (
    select
        curves.cohort_month_start_date,
        curves.months_since_start,
        curves.month_start_date,
        cast(curves.cohort_accounts as integer) as cohort_accounts,
        cast(curves.active_accounts as integer) as active_accounts,
        cast(curves.active_accounts_with_unknown_mrr as integer) as active_accounts_with_unknown_mrr,
        cast(starts.starting_mrr as decimal(18, 2)) as starting_mrr,
        cast(curves.active_mrr as decimal(18, 2)) as active_mrr,
        {{ safe_divide('curves.active_accounts', 'curves.cohort_accounts') }} as logo_retention_share,
        -- null when an unknown MRR at either end would bias the share (the cast
        -- outermost: PostgreSQL drops the decimal's scale from a case around one)
        cast(
            case
                when starts.starting_accounts_with_unknown_mrr = 0 and curves.active_accounts_with_unknown_mrr = 0
                    then {{ safe_divide('curves.active_mrr', 'starts.starting_mrr') }}
            end as decimal(18, 6)
        ) as mrr_retention_share
    from curves
    inner join starts
        on curves.cohort_month_start_date = starts.cohort_month_start_date
)

select * from final
