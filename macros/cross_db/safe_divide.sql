{#- Ratios are null, never 0 and never an error, when the denominator is 0.
    The numerator is cast to data_type first (no integer division), and a
    decimal result is the exact quotient rounded half away from zero, as
    PostgreSQL's numeric and Spark's decimal division give it. -#}
{% macro safe_divide(numerator, denominator, data_type='decimal(18,6)') -%}
    {{ return(adapter.dispatch('safe_divide', 'crm_warehouse')(numerator, denominator, data_type)) }}
{%- endmacro %}

{% macro default__safe_divide(numerator, denominator, data_type='decimal(18,6)') -%}
    cast(
        cast({{ numerator }} as {{ data_type }}) / nullif({{ denominator }}, 0)
        as {{ data_type }}
    )
{%- endmacro %}

{#- DuckDB divides decimals in double precision: 125.82 / 36 is
    3.4949999999999997 there, which a cast to decimal(18,2) rounds to 3.49
    where the exact 3.495 rounds to 3.50. For a decimal result, divide in
    integers instead: numerator in units of the result's scale, denominator
    scaled by 10^10 (exact for up to 10 decimals), the quotient rounded half
    away from zero with integer arithmetic, then scaled back with an exact
    decimal multiplication. A double result divides as everywhere else. -#}
{% macro duckdb__safe_divide(numerator, denominator, data_type='decimal(18,6)') -%}
    {%- set normalized = data_type | lower | replace(' ', '') -%}
    {%- if not normalized.startswith('decimal(') or ',' not in normalized -%}
        {{ return(default__safe_divide(numerator, denominator, data_type)) }}
    {%- endif -%}
    {%- set scale = normalized[8:-1].split(',')[1] | int -%}
    {#- Widen to decimal(38, ...) before scaling: DuckDB keeps a decimal(18)
        product in 18 digits and overflows on large amounts. -#}
    {%- set units = "cast(cast(" ~ numerator ~ " as decimal(38, " ~ scale ~ ")) * " ~ (10 ** scale) ~ " as hugeint)" -%}
    {%- set divisor = "cast(cast(" ~ denominator ~ " as decimal(38, 10)) * 10000000000 as hugeint)" -%}
    cast(
        cast(
            sign({{ units }}) * sign({{ divisor }})
            * ((2 * abs({{ units }}) * 10000000000 + abs({{ divisor }})) // (2 * abs(nullif({{ divisor }}, 0))))
            as decimal({{ 37 - scale }}, 0)
        ) * cast({{ '1e-%d' % scale }} as decimal({{ scale + 1 }}, {{ scale }}))
        as {{ data_type }}
    )
{%- endmacro %}
