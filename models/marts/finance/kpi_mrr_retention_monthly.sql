{#- Revenue retention (R3) per month and dimension member ('all', region,
    owner; long format) over a 12-month window: the cohort is the accounts
    paying 12 months before the month (MRR > 0 then); each account's MRR now
    is compared with its MRR then (a churn and a reactivation inside the
    window net out: the account counts by where it ends). Net revenue
    retention = cohort MRR now / cohort MRR then; gross = the same with each
    account capped at its MRR then (no expansion), so at most 1. Null when
    the cohort has no opening MRR (the first 12 months of the data) or the
    export has no contracts. Cohort accounts whose MRR is unknown at either
    end are left out and counted. -#}
with account_months as (
    select * from {{ ref('kpi_mrr_accounts_monthly') }}
),

account_dimensions as (
    select * from {{ ref('int_finance_mrr_account_dimensions_unpivoted') }}
),

months as (
    select * from {{ ref('int_months') }}
),

members as (
    select distinct
        dimension_name,
        dimension_value,
        dimension_label
    from account_dimensions
    union
    select
        'all' as dimension_name,
        'all' as dimension_value,
        'all' as dimension_label
),

window_pairs as (
    select
        closing.month_start_date,
        closing.account_id,
        (opening.mrr is null or closing.mrr is null) as is_unknown,
        -- both null unless both ends are known
        case when closing.mrr is not null then opening.mrr end as opening_mrr,
        case when opening.mrr is not null then closing.mrr end as closing_mrr
    from account_months as opening
    inner join account_months as closing
        on
            opening.account_id = closing.account_id
            and closing.month_start_date
            = cast({{ dbt.dateadd('month', 12, 'opening.month_start_date') | trim }} as date)
    where opening.is_paying
),

aggregated as (
    select
        window_pairs.month_start_date,
        account_dimensions.dimension_name,
        account_dimensions.dimension_value,
        count(case when window_pairs.is_unknown then 1 end) as cohort_accounts_with_unknown_mrr,
        count(window_pairs.opening_mrr) as cohort_accounts,
        count(case when window_pairs.closing_mrr > 0 then 1 end) as cohort_accounts_retained,
        sum(window_pairs.opening_mrr) as cohort_opening_mrr,
        sum(
            case
                when window_pairs.closing_mrr > window_pairs.opening_mrr
                    then window_pairs.closing_mrr - window_pairs.opening_mrr
                else 0
            end
        ) as cohort_expansion_mrr,
        sum(
            case
                when window_pairs.closing_mrr > 0 and window_pairs.closing_mrr < window_pairs.opening_mrr
                    then window_pairs.opening_mrr - window_pairs.closing_mrr
                else 0
            end
        ) as cohort_contraction_mrr,
        sum(case when window_pairs.closing_mrr = 0 then window_pairs.opening_mrr else 0 end)
            as cohort_churned_mrr,
        sum(window_pairs.closing_mrr) as cohort_closing_mrr,
        sum(
            case
                when window_pairs.closing_mrr < window_pairs.opening_mrr then window_pairs.closing_mrr
                else window_pairs.opening_mrr
            end
        ) as cohort_retained_mrr
    from window_pairs
    inner join account_dimensions
        on window_pairs.account_id = account_dimensions.account_id
    group by window_pairs.month_start_date, account_dimensions.dimension_name, account_dimensions.dimension_value
),

spine as (
    select
        months.month_start_date,
        months.month_end_date,
        months.balance_date,
        members.dimension_name,
        members.dimension_value,
        members.dimension_label
    from months
    cross join members
),

joined as (
    select
        spine.month_start_date,
        spine.month_end_date,
        spine.balance_date,
        spine.dimension_name,
        spine.dimension_value,
        spine.dimension_label,
        cast({{ dbt.dateadd('month', -12, 'spine.month_start_date') | trim }} as date) as cohort_month_start_date,
        case when {{ entities_present('contracts') }} then 'in this export' else 'not in this export' end
            as data_status,
        cast({{ coalesce_if_present('contracts', 'aggregated.cohort_accounts') }} as integer)
            as cohort_accounts,
        cast({{ coalesce_if_present('contracts', 'aggregated.cohort_accounts_retained') }} as integer)
            as cohort_accounts_retained,
        cast({{ coalesce_if_present('contracts', 'aggregated.cohort_accounts_with_unknown_mrr') }} as integer)
            as cohort_accounts_with_unknown_mrr,
        cast({{ coalesce_if_present('contracts', 'aggregated.cohort_opening_mrr') }} as decimal(18, 2))
            as cohort_opening_mrr,
        cast({{ coalesce_if_present('contracts', 'aggregated.cohort_expansion_mrr') }} as decimal(18, 2))
            as cohort_expansion_mrr,
        cast({{ coalesce_if_present('contracts', 'aggregated.cohort_contraction_mrr') }} as decimal(18, 2))
            as cohort_contraction_mrr,
        cast({{ coalesce_if_present('contracts', 'aggregated.cohort_churned_mrr') }} as decimal(18, 2))
            as cohort_churned_mrr,
        cast({{ coalesce_if_present('contracts', 'aggregated.cohort_closing_mrr') }} as decimal(18, 2))
            as cohort_closing_mrr,
        cast({{ coalesce_if_present('contracts', 'aggregated.cohort_retained_mrr') }} as decimal(18, 2))
            as cohort_retained_mrr
    from spine
    left join aggregated
        on
            spine.month_start_date = aggregated.month_start_date
            and spine.dimension_name = aggregated.dimension_name
            and spine.dimension_value = aggregated.dimension_value
),

final as (
    select
        *,
        {{ safe_divide('cohort_closing_mrr', 'cohort_opening_mrr') }} as net_revenue_retention,
        {{ safe_divide('cohort_retained_mrr', 'cohort_opening_mrr') }} as gross_revenue_retention
    from joined
)

select * from final
