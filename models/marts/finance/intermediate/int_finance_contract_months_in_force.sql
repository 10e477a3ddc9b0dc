{#- One row per contract and month in which the contract is in force at the
    month's balance date (its last day; the as-of date for the month in
    progress): R1's input. A contract counts in a month when it started on or
    before that date and is in force on it (in_force_end_date: a cancelled
    contract stops at its cancellation), and its renewal has not started by
    then (a renewal replaces the contract it renews, so each month takes the
    value in force that month). Its monthly value is its total value over its
    term in months (calendar months from the start date to the day after the
    end date, at least 1), in the reporting currency at the rate of its start
    date. A contract without value, without exchange rate or without end date
    has no monthly value (value_status says why). -#}
with contracts as (
    select * from {{ ref('fct_contracts') }}
),

months as (
    select * from {{ ref('int_months') }}
),

termed as (
    select
        contract_id,
        account_id,
        currency_code,
        contract_value_local,
        contract_value,
        start_date,
        end_date,
        in_force_end_date,
        renewal_start_date,
        -- integer on every engine (PostgreSQL's month difference is a double)
        cast(
            case
                when end_date is not null
                    then greatest(
                        1,
                        {{ dbt.datediff('start_date', dbt.dateadd('day', 1, 'end_date'), 'month') | trim }}
                    )
            end as integer
        ) as term_months,
        case
            when end_date is null then 'no_end_date'
            when contract_value_local is null then 'no_value'
            when contract_value is null then 'no_exchange_rate'
            else 'known'
        end as value_status
    from contracts
    where status != 'draft'
),

final as (
    select
        months.month_start_date,
        termed.contract_id,
        termed.account_id,
        termed.currency_code,
        termed.term_months,
        termed.value_status,
        {{ safe_divide('termed.contract_value_local', 'termed.term_months', 'decimal(18,2)') }} as monthly_value_local,
        {{ safe_divide('termed.contract_value', 'termed.term_months', 'decimal(18,2)') }} as monthly_value
    from termed
    inner join months
        on
            termed.start_date <= months.balance_date
            -- no end date: in force from its start, term (so monthly value) unknown
            and (termed.in_force_end_date >= months.balance_date or termed.end_date is null)
            and not coalesce(termed.renewal_start_date <= months.balance_date, false)
)

select * from final
