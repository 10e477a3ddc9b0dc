{#- One row per contract, with the contract that renewed it (as known at the
    as-of date) and the dates it was in force. -#}
with contracts as (
    select * from {{ ref('int_contracts_converted') }}
),

as_of as (
    select * from {{ ref('int_as_of_date') }}
),

renewals as (
    select
        contracts.renewal_of_contract_id,
        contracts.contract_id as renewal_contract_id,
        contracts.start_date as renewal_start_date,
        coalesce(cast(contracts.signed_at as date), contracts.start_date) as renewal_signed_date,
        row_number() over (
            partition by contracts.renewal_of_contract_id
            order by contracts.start_date, contracts.contract_id
        ) as renewal_rank
    from contracts
    cross join as_of
    where
        contracts.renewal_of_contract_id is not null
        and contracts.status != 'draft'
        and coalesce(cast(contracts.signed_at as date), contracts.start_date) <= as_of.as_of_date
),

first_renewals as (
    select * from renewals
    where renewal_rank = 1
),

final as (
    select
        contracts.contract_id,
        contracts.account_id,
        contracts.order_id,
        contracts.renewal_of_contract_id,
        contracts.status,
        contracts.renewal_of_contract_id is not null as is_renewal,
        contracts.contract_value_local,
        contracts.currency_code,
        contracts.exchange_rate,
        contracts.contract_value,
        contracts.start_date,
        contracts.end_date,
        cast({{ dbt.date_trunc('month', 'contracts.end_date') }} as date) as end_month_start_date,
        case
            when contracts.status = 'draft' then null
            when contracts.status = 'cancelled'
                then
                    case
                        when cast(contracts.updated_at as date) < contracts.end_date
                            then cast(contracts.updated_at as date)
                        else contracts.end_date
                    end
            else contracts.end_date
        end as in_force_end_date,
        cast({{ finance__datediff_days('contracts.start_date', 'contracts.end_date') }} + 1 as integer) as term_days,
        contracts.signed_at,
        first_renewals.renewal_contract_id as renewed_by_contract_id,
        first_renewals.renewal_start_date,
        first_renewals.renewal_signed_date,
        first_renewals.renewal_contract_id is not null as is_renewed,
        coalesce(first_renewals.renewal_start_date <= contracts.end_date, false) as is_renewed_early,
        contracts.updated_at
    from contracts
    left join first_renewals
        on contracts.contract_id = first_renewals.renewal_of_contract_id
)

select * from final
