{#- Monthly recurring revenue (R1) and its movement (R2) per account and
    month: one row per account and month from the first month the account
    had a contract in force to the as-of month, months without one included
    (MRR 0 after a churn). MRR is the sum of the monthly values of the
    contracts in force at the month's balance date
    (int_finance_contract_months_in_force); null when one of them has no
    known value. The movement compares the month with the previous one. -#}
with contract_months as (
    select * from {{ ref('int_finance_contract_months_in_force') }}
),

months as (
    select * from {{ ref('int_months') }}
),

in_force as (
    select
        month_start_date,
        account_id,
        count(*) as contracts_in_force,
        count(case when value_status != 'known' then 1 end) as contracts_without_value,
        sum(monthly_value) as known_mrr,
        min(case when value_status != 'known' then value_status end) as unknown_reason
    from contract_months
    group by month_start_date, account_id
),

account_starts as (
    select
        account_id,
        min(month_start_date) as first_month_start_date
    from in_force
    group by account_id
),

spine as (
    select
        months.month_start_date,
        months.balance_date,
        account_starts.account_id
    from account_starts
    inner join months
        on account_starts.first_month_start_date <= months.month_start_date
),

measured as (
    select
        spine.month_start_date,
        spine.balance_date,
        spine.account_id,
        cast(coalesce(in_force.contracts_in_force, 0) as integer) as contracts_in_force,
        cast(coalesce(in_force.contracts_without_value, 0) as integer) as contracts_without_value,
        in_force.unknown_reason,
        cast(
            case when in_force.contracts_without_value > 0 then null else coalesce(in_force.known_mrr, 0) end
            as decimal(18, 2)
        ) as mrr
    from spine
    left join in_force
        on
            spine.month_start_date = in_force.month_start_date
            and spine.account_id = in_force.account_id
),

paying as (
    select
        *,
        -- paying: MRR above 0, or contracts in force whose value is unknown
        case when mrr is null then 1 when mrr > 0 then 1 else 0 end as is_paying_flag
    from measured
),

sequenced as (
    select
        *,
        row_number() over (partition by account_id order by month_start_date) as account_month_number,
        lag(mrr) over (partition by account_id order by month_start_date) as lagged_mrr,
        max(is_paying_flag) over (
            partition by account_id order by month_start_date
            rows between unbounded preceding and 1 preceding
        ) as was_paying_before_flag
    from paying
),

classified as (
    select
        *,
        cast(case when account_month_number = 1 then 0 else lagged_mrr end as decimal(18, 2)) as previous_mrr,
        case
            when mrr is null or (account_month_number > 1 and lagged_mrr is null) then 'unknown'
            when account_month_number = 1 and mrr > 0 then 'new'
            when lagged_mrr = 0 and mrr > 0 and coalesce(was_paying_before_flag, 0) = 0 then 'new'
            when lagged_mrr = 0 and mrr > 0 then 'reactivation'
            when lagged_mrr > 0 and mrr = 0 then 'churn'
            when mrr > lagged_mrr then 'expansion'
            when mrr < lagged_mrr then 'contraction'
            when mrr = 0 then 'inactive'
            else 'unchanged'
        end as mrr_movement
    from sequenced
),

final as (
    select
        month_start_date,
        balance_date,
        account_id,
        contracts_in_force,
        contracts_without_value,
        case when mrr is null then unknown_reason end as mrr_unknown_reason,
        is_paying_flag = 1 as is_paying,
        previous_mrr,
        mrr,
        cast(12 * mrr as decimal(18, 2)) as arr,
        mrr_movement,
        cast(case when mrr_movement = 'new' then mrr when mrr_movement != 'unknown' then 0 end as decimal(18, 2))
            as new_mrr,
        cast(
            case when mrr_movement = 'expansion' then mrr - previous_mrr when mrr_movement != 'unknown' then 0 end
            as decimal(18, 2)
        ) as expansion_mrr,
        cast(
            case when mrr_movement = 'contraction' then previous_mrr - mrr when mrr_movement != 'unknown' then 0 end
            as decimal(18, 2)
        ) as contraction_mrr,
        cast(
            case when mrr_movement = 'churn' then previous_mrr when mrr_movement != 'unknown' then 0 end
            as decimal(18, 2)
        ) as churned_mrr,
        cast(
            case when mrr_movement = 'reactivation' then mrr when mrr_movement != 'unknown' then 0 end
            as decimal(18, 2)
        ) as reactivation_mrr
    from classified
)

select * from final
