{#- Currencies of the records staging keeps, per table, as written in the
    export: whether and how the exchange-rate seed converts them - its
    coverage of the currency against the records' conversion dates, the
    records converted at the nearest rate outside it, and those left
    unconverted. -#}
-- depends_on: {{ ref('dq_raw_rows') }}
-- depends_on: {{ source('crm', 'campaigns') }}
-- depends_on: {{ ref('int_campaigns_converted') }}
-- depends_on: {{ source('crm', 'contracts') }}
-- depends_on: {{ ref('int_contracts_converted') }}
-- depends_on: {{ source('crm', 'invoices') }}
-- depends_on: {{ ref('int_invoices_converted') }}
-- depends_on: {{ source('crm', 'opportunities') }}
-- depends_on: {{ ref('int_opportunities_converted') }}
-- depends_on: {{ source('crm', 'orders') }}
-- depends_on: {{ ref('int_orders_converted') }}
-- depends_on: {{ source('crm', 'payments') }}
-- depends_on: {{ ref('int_payments_converted') }}
-- depends_on: {{ source('crm', 'products') }}
-- depends_on: {{ ref('int_products_converted') }}
-- depends_on: {{ source('crm', 'quotes') }}
-- depends_on: {{ ref('int_quotes_converted') }}
{%- set reporting_currency = var('reporting_currency', 'USD') | upper %}

with currency_counts as (
    {{ dq_currency_selects() }}
),

exchange_rates as (
    select * from {{ ref('stg_reference__exchange_rates') }}
),

coverage as (
    select
        currency_code,
        min(first_rate_date) as first_rate_date,
        max(coverage_end_date) as coverage_end_date,
        max(rate_date) as last_rate_date
    from exchange_rates
    group by currency_code
),

final as (
    select
        currency_counts.table_name || '|' || currency_counts.currency_code as currency_usage_key,
        currency_counts.table_name,
        currency_counts.currency_code,
        upper(trim(currency_counts.currency_code)) as normalized_currency_code,
        cast(currency_counts.record_count as bigint) as records,
        coverage.currency_code is not null as has_exchange_rate,
        upper(trim(currency_counts.currency_code)) = '{{ reporting_currency }}' as is_reporting_currency,
        coverage.first_rate_date,
        coverage.last_rate_date,
        cast({{ dbt.dateadd('day', -1, 'coverage.coverage_end_date') }} as date) as coverage_last_date,
        currency_counts.first_transaction_date,
        currency_counts.last_transaction_date,
        cast(currency_counts.records_before_coverage as bigint) as records_before_coverage,
        cast(currency_counts.records_after_coverage as bigint) as records_after_coverage,
        cast(
            currency_counts.records_before_coverage + currency_counts.records_after_coverage as bigint
        ) as records_outside_coverage,
        currency_counts.first_date_outside_coverage,
        currency_counts.last_date_outside_coverage,
        cast(currency_counts.amount_local_outside_coverage as decimal(18, 2)) as amount_local_outside_coverage,
        cast(currency_counts.records_without_rate as bigint) as records_without_rate,
        cast(currency_counts.amount_local_without_rate as decimal(18, 2)) as amount_local_without_rate
    from currency_counts
    left join coverage
        on upper(trim(currency_counts.currency_code)) = coverage.currency_code
)

select * from final
