{#- The ranges of stg_reference__exchange_rates cover every date: the reporting
    currency at 1 throughout, a foreign currency at its nearest rate before and
    after the seed's coverage (coverage_status says which). -#}
{% macro join_exchange_rate(currency_expr, date_expr, alias='exchange_rates') -%}
    {{ return(adapter.dispatch('join_exchange_rate', 'crm_warehouse')(currency_expr, date_expr, alias)) }}
{%- endmacro %}

{% macro default__join_exchange_rate(currency_expr, date_expr, alias='exchange_rates') -%}
    left join {{ ref('stg_reference__exchange_rates') }} as {{ alias }}
        on
            {{ currency_expr }} = {{ alias }}.currency_code
            and {{ date_expr }} >= {{ alias }}.valid_from_date
            and {{ date_expr }} < {{ alias }}.valid_to_date
{%- endmacro %}

{#- On DuckDB an ASOF join: the currency's range with the earliest end after
    the date. A currency's ranges run without gap or overlap from 0001-01-01
    to 9999-12-31 (stg_reference__exchange_rates), so that range starts on or
    before the date: the one the range join finds, and none for a date on or
    after 9999-12-31, as there. The range join hashes on the currency alone
    and filters every pair of a row and a range of its currency, which grows
    with the seed's rates: a seed of daily rates pairs each amount with
    thousands of them. -#}
{% macro duckdb__join_exchange_rate(currency_expr, date_expr, alias='exchange_rates') -%}
    asof left join {{ ref('stg_reference__exchange_rates') }} as {{ alias }}
        on
            {{ currency_expr }} = {{ alias }}.currency_code
            and {{ date_expr }} < {{ alias }}.valid_to_date
{%- endmacro %}

{#- How the joined rate relates to the seed's coverage: reporting_currency,
    covered, before_coverage, after_coverage, or no_rate (a currency the seed
    does not know, or no currency at all). -#}
{% macro exchange_rate_coverage(alias='exchange_rates') -%}
    coalesce({{ alias }}.coverage_status, 'no_rate')
{%- endmacro %}

{#- The rate is widened to decimal(38,10) first: DuckDB keeps the product of two
    decimals of width <= 18 at width 18, which overflows for large amounts. -#}
{% macro convert_currency(amount_expr, rate_expr) -%}
    cast(round({{ amount_expr }} * cast({{ rate_expr }} as decimal(38, 10)), 2) as decimal(18, 2))
{%- endmacro %}

{#- A total of converted amounts over the rows of a group (see doc block
    unknown_amounts): 0 when the group has no rows, null when it has rows but
    none with a known amount, else the sum of the known amounts. sum_expr is
    the aggregated sum (null when no row had an amount), row_count_expr the
    group's row count (null when the group is absent from a left join). -#}
{#- entities: null as well when the export lacks them (macro entities_present).
    The cast stays outermost, so every engine keeps the decimal's scale
    (PostgreSQL drops it from a case around a cast). -#}
{% macro amount_total(sum_expr, row_count_expr, data_type='decimal(18, 2)', entities=none, require='all') -%}
    cast(case
        {%- if entities is not none %} when not {{ entities_present(entities, require) }} then null{% endif %}
        when coalesce({{ row_count_expr }}, 0) = 0 then 0 else {{ sum_expr }} end as {{ data_type }})
{%- endmacro %}
