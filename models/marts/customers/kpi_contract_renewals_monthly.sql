{#- One row per month of the spine: contracts that ended in the month (by
    end date, on or before the as-of date; drafts never count) and how many
    of them were renewed (C3). -#}
with months as (
    select * from {{ ref('int_months') }}
),

as_of as (
    select * from {{ ref('int_as_of_date') }}
),

contracts as (
    select * from {{ ref('fct_contracts') }}
),

ending as (
    select
        contracts.end_month_start_date as month_start_date,
        count(*) as contracts_ending,
        sum(case when contracts.is_renewed then 1 else 0 end) as contracts_renewed,
        sum(case when contracts.is_renewed_early then 1 else 0 end) as contracts_renewed_early,
        sum(case when contracts.contract_value is null then 1 else 0 end) as contracts_ending_without_value,
        sum(contracts.contract_value) as ending_contract_value,
        sum(case when contracts.is_renewed then contracts.contract_value end) as renewed_contract_value
    from contracts
    cross join as_of
    where
        contracts.status != 'draft'
        and contracts.end_date <= as_of.as_of_date
    group by contracts.end_month_start_date
),

combined as (
    select
        months.month_start_date,
        months.month_end_date,
        cast({{ coalesce_if_present('contracts', 'ending.contracts_ending') }} as integer) as contracts_ending,
        cast({{ coalesce_if_present('contracts', 'ending.contracts_renewed') }} as integer) as contracts_renewed,
        cast(
            {{ coalesce_if_present('contracts', 'ending.contracts_renewed_early') }}
            as integer
        ) as contracts_renewed_early,
        -- amounts: doc block unknown_amounts (0 without contracts, null when none is known)
        cast(
            {{ coalesce_if_present('contracts', 'ending.contracts_ending_without_value') }}
            as integer
        ) as contracts_ending_without_value,
        {{ amount_total(
            'ending.ending_contract_value', 'ending.contracts_ending', entities='contracts'
        ) }} as ending_contract_value,
        {{ amount_total(
            'ending.renewed_contract_value', 'ending.contracts_renewed', entities='contracts'
        ) }} as renewed_contract_value
    from months
    left join ending
        on months.month_start_date = ending.month_start_date
),

final as (
    select
        *,
        {{ safe_divide('contracts_renewed', 'contracts_ending') }} as renewal_rate,
        {{ safe_divide('renewed_contract_value', 'ending_contract_value') }} as renewal_rate_by_value
    from combined
)

select * from final
