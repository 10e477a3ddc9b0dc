{#- Currencies of the records staging keeps, per table, as written in the
    export, and whether the exchange-rate seed can convert them. -#}
{%- for table_name in crm_contract_table_names() %}
-- depends_on: {{ source('crm', table_name) }}
{%- endfor %}

with currency_counts as (
    {{ dq_currency_selects() }}
),

exchange_rates as (
    select distinct currency_code from {{ ref('stg_reference__exchange_rates') }}
),

final as (
    select
        currency_counts.table_name || '|' || currency_counts.currency_code as currency_usage_key,
        currency_counts.table_name,
        currency_counts.currency_code,
        upper(trim(currency_counts.currency_code)) as normalized_currency_code,
        cast(currency_counts.record_count as bigint) as record_count,
        exchange_rates.currency_code is not null as has_exchange_rate
    from currency_counts
    left join exchange_rates
        on upper(trim(currency_counts.currency_code)) = exchange_rates.currency_code
)

select * from final
