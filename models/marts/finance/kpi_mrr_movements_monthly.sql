{#- MRR movements (R2) per month and dimension member ('all', region, owner;
    long format): opening MRR, new, expansion, contraction, churn,
    reactivation and closing MRR, with account counts, over the accounts
    whose MRR is known in the month and the month before (the others are
    counted in accounts_with_unknown_mrr). Every month and member of the
    spine, zeros included; null with data_status 'not in this export' when
    the export has no contracts. -#}
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

known as (
    select
        account_months.*,
        account_dimensions.dimension_name,
        account_dimensions.dimension_value
    from account_months
    inner join account_dimensions
        on account_months.account_id = account_dimensions.account_id
    where account_months.mrr_movement != 'unknown'
),

aggregated as (
    select
        month_start_date,
        dimension_name,
        dimension_value,
        count(case when previous_mrr > 0 then 1 end) as opening_accounts,
        count(case when mrr_movement = 'new' then 1 end) as new_accounts,
        count(case when mrr_movement = 'expansion' then 1 end) as expansion_accounts,
        count(case when mrr_movement = 'contraction' then 1 end) as contraction_accounts,
        count(case when mrr_movement = 'churn' then 1 end) as churned_accounts,
        count(case when mrr_movement = 'reactivation' then 1 end) as reactivated_accounts,
        count(case when mrr > 0 then 1 end) as closing_accounts,
        sum(previous_mrr) as opening_mrr,
        sum(new_mrr) as new_mrr,
        sum(expansion_mrr) as expansion_mrr,
        sum(contraction_mrr) as contraction_mrr,
        sum(churned_mrr) as churned_mrr,
        sum(reactivation_mrr) as reactivation_mrr,
        sum(mrr) as closing_mrr
    from known
    group by month_start_date, dimension_name, dimension_value
),

unknown_counts as (
    select
        account_months.month_start_date,
        account_dimensions.dimension_name,
        account_dimensions.dimension_value,
        count(*) as accounts_with_unknown_mrr
    from account_months
    inner join account_dimensions
        on account_months.account_id = account_dimensions.account_id
    where account_months.mrr_movement = 'unknown'
    group by account_months.month_start_date, account_dimensions.dimension_name, account_dimensions.dimension_value
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

final as (
    select
        spine.month_start_date,
        spine.month_end_date,
        spine.balance_date,
        spine.dimension_name,
        spine.dimension_value,
        spine.dimension_label,
        case when {{ entities_present('contracts') }} then 'in this export' else 'not in this export' end
            as data_status,
        cast({{ coalesce_if_present('contracts', 'aggregated.opening_accounts') }} as integer)
            as opening_accounts,
        cast({{ coalesce_if_present('contracts', 'aggregated.new_accounts') }} as integer)
            as new_accounts,
        cast({{ coalesce_if_present('contracts', 'aggregated.expansion_accounts') }} as integer)
            as expansion_accounts,
        cast({{ coalesce_if_present('contracts', 'aggregated.contraction_accounts') }} as integer)
            as contraction_accounts,
        cast({{ coalesce_if_present('contracts', 'aggregated.churned_accounts') }} as integer)
            as churned_accounts,
        cast({{ coalesce_if_present('contracts', 'aggregated.reactivated_accounts') }} as integer)
            as reactivated_accounts,
        cast({{ coalesce_if_present('contracts', 'aggregated.closing_accounts') }} as integer)
            as closing_accounts,
        cast({{ coalesce_if_present('contracts', 'unknown_counts.accounts_with_unknown_mrr') }} as integer)
            as accounts_with_unknown_mrr,
        cast({{ coalesce_if_present('contracts', 'aggregated.opening_mrr') }} as decimal(18, 2))
            as opening_mrr,
        cast({{ coalesce_if_present('contracts', 'aggregated.new_mrr') }} as decimal(18, 2))
            as new_mrr,
        cast({{ coalesce_if_present('contracts', 'aggregated.expansion_mrr') }} as decimal(18, 2))
            as expansion_mrr,
        cast({{ coalesce_if_present('contracts', 'aggregated.contraction_mrr') }} as decimal(18, 2))
            as contraction_mrr,
        cast({{ coalesce_if_present('contracts', 'aggregated.churned_mrr') }} as decimal(18, 2))
            as churned_mrr,
        cast({{ coalesce_if_present('contracts', 'aggregated.reactivation_mrr') }} as decimal(18, 2))
            as reactivation_mrr,
        cast({{ coalesce_if_present('contracts', 'aggregated.closing_mrr') }} as decimal(18, 2))
            as closing_mrr,
        cast(
            {{ coalesce_if_present(
                'contracts',
                'aggregated.new_mrr + aggregated.expansion_mrr - aggregated.contraction_mrr'
                ~ ' - aggregated.churned_mrr + aggregated.reactivation_mrr'
            ) }} as decimal(18, 2)
        ) as net_new_mrr,
        cast(12 * {{ coalesce_if_present('contracts', 'aggregated.closing_mrr') }} as decimal(18, 2)) as closing_arr
    from spine
    left join aggregated
        on
            spine.month_start_date = aggregated.month_start_date
            and spine.dimension_name = aggregated.dimension_name
            and spine.dimension_value = aggregated.dimension_value
    left join unknown_counts
        on
            spine.month_start_date = unknown_counts.month_start_date
            and spine.dimension_name = unknown_counts.dimension_name
            and spine.dimension_value = unknown_counts.dimension_value
)

select * from final
