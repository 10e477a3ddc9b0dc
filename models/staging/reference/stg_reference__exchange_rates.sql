{%- set reporting_currency = var('reporting_currency', 'USD') | upper -%}

with exchange_rates as (
    select * from {{ ref('exchange_rates') }}
),

seed_rates as (
    select
        upper(trim(currency_code)) as currency_code,
        cast(rate_date as date) as rate_date,
        cast(usd_per_unit as decimal(18, 10)) as usd_per_unit
    from exchange_rates
),

ranged as (
    select
        currency_code,
        rate_date,
        usd_per_unit,
        lead(rate_date) over (partition by currency_code order by rate_date) as next_rate_date,
        min(rate_date) over (partition by currency_code) as first_rate_date,
        max(rate_date) over (partition by currency_code) as last_rate_date
    from seed_rates
),

-- the seed's rates are monthly: the last rate covers its month; the first
-- rate is the nearest one before coverage, the last one after it
with_coverage as (
    select
        *,
        cast({{ dbt.dateadd('month', 1, 'last_rate_date') }} as date) as coverage_end_date
    from ranged
),

-- the reporting currency's own usd_per_unit, its first rate reaching back
-- (the seed's unit is the US dollar: USD is 1 by definition)
reporting_currency as (
    select
        case
            when rate_date = first_rate_date then cast('0001-01-01' as date) else rate_date
        end as valid_from_date,
        coalesce(next_rate_date, cast('9999-12-31' as date)) as valid_to_date,
        usd_per_unit
    from ranged
    where currency_code = '{{ reporting_currency }}' and '{{ reporting_currency }}' != 'USD'

    union all

    select
        cast('0001-01-01' as date) as valid_from_date,
        cast('9999-12-31' as date) as valid_to_date,
        cast(1 as decimal(18, 10)) as usd_per_unit
    where '{{ reporting_currency }}' = 'USD'
),

foreign_ranges as (
    -- a date within the seed's coverage: the latest rate on or before it
    select
        currency_code,
        rate_date,
        rate_date as valid_from_date,
        coalesce(next_rate_date, coverage_end_date) as valid_to_date,
        'covered' as coverage_status,
        first_rate_date,
        coverage_end_date,
        usd_per_unit
    from with_coverage
    where currency_code != '{{ reporting_currency }}'

    union all

    -- before the currency's first rate: the first (nearest) rate
    select
        currency_code,
        rate_date,
        cast('0001-01-01' as date) as valid_from_date,
        rate_date as valid_to_date,
        'before_coverage' as coverage_status,
        first_rate_date,
        coverage_end_date,
        usd_per_unit
    from with_coverage
    where currency_code != '{{ reporting_currency }}' and rate_date = first_rate_date

    union all

    -- after the last rate's month: the last (nearest) rate
    select
        currency_code,
        rate_date,
        coverage_end_date as valid_from_date,
        cast('9999-12-31' as date) as valid_to_date,
        'after_coverage' as coverage_status,
        first_rate_date,
        coverage_end_date,
        usd_per_unit
    from with_coverage
    where currency_code != '{{ reporting_currency }}' and rate_date = last_rate_date
),

converted as (
    select
        foreign_ranges.currency_code,
        foreign_ranges.rate_date,
        foreign_ranges.valid_from_date,
        foreign_ranges.valid_to_date,
        foreign_ranges.coverage_status,
        foreign_ranges.first_rate_date,
        foreign_ranges.coverage_end_date,
        foreign_ranges.usd_per_unit,
        cast(
            foreign_ranges.usd_per_unit / nullif(reporting_currency.usd_per_unit, 0)
            as decimal(18, 10)
        ) as exchange_rate
    from foreign_ranges
    left join reporting_currency
        on
            foreign_ranges.rate_date >= reporting_currency.valid_from_date
            and foreign_ranges.rate_date < reporting_currency.valid_to_date

    union all

    -- the reporting currency converts at exactly 1 on every date, whatever
    -- the seed covers
    select
        '{{ reporting_currency }}' as currency_code,
        cast(null as date) as rate_date,
        cast('0001-01-01' as date) as valid_from_date,
        cast('9999-12-31' as date) as valid_to_date,
        'reporting_currency' as coverage_status,
        cast(null as date) as first_rate_date,
        cast(null as date) as coverage_end_date,
        cast(null as decimal(18, 10)) as usd_per_unit,
        cast(1 as decimal(18, 10)) as exchange_rate
),

final as (
    select
        currency_code || '|' || cast(valid_from_date as {{ dbt.type_string() }}) as exchange_rate_key,
        currency_code,
        valid_from_date,
        valid_to_date,
        rate_date,
        coverage_status,
        first_rate_date,
        coverage_end_date,
        usd_per_unit,
        exchange_rate
    from converted
)

select * from final
