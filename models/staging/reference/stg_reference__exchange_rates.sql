{%- set reporting_currency = var('reporting_currency', 'USD') | upper -%}

with exchange_rates as (
    select * from {{ ref('exchange_rates') }}
),

ranged as (
    select
        upper(trim(currency_code)) as currency_code,
        cast(rate_date as date) as valid_from_date,
        cast(usd_per_unit as decimal(18, 10)) as usd_per_unit,
        coalesce(
            lead(cast(rate_date as date)) over (
                partition by upper(trim(currency_code))
                order by rate_date
            ),
            cast('9999-12-31' as date)
        ) as valid_to_date
    from exchange_rates
),

reporting_currency as (
    select
        valid_from_date,
        valid_to_date,
        usd_per_unit
    from ranged
    where currency_code = '{{ reporting_currency }}'
),

final as (
    select
        ranged.currency_code || '|' || cast(ranged.valid_from_date as {{ dbt.type_string() }}) as exchange_rate_key,
        ranged.currency_code,
        ranged.valid_from_date,
        ranged.valid_to_date,
        ranged.usd_per_unit,
        cast(
            ranged.usd_per_unit / nullif(reporting_currency.usd_per_unit, 0)
            as decimal(18, 10)
        ) as exchange_rate
    from ranged
    left join reporting_currency
        on
            ranged.valid_from_date >= reporting_currency.valid_from_date
            and ranged.valid_from_date < reporting_currency.valid_to_date
)

select * from final
