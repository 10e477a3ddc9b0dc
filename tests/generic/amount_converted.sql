{#- Money is never silently lost: wherever an amount in the original currency
    exists (local_column), its converted amount (column_name) exists too.
    Fails with one row per currency whose amounts were left unconverted - a
    currency seeds/exchange_rates.csv does not know, or no currency at all -
    with how many rows and how much money (original currency) that is; the
    currencies are logged. Dates outside the seed's coverage convert at the
    nearest rate and do not fail it (dq_currencies counts them). Severity: the
    var `exchange_rate_coverage_severity` (default warn; error fails the
    build). -#}
{% test amount_converted(model, column_name, local_column, currency_column='currency_code') %}
{{ config(severity=var('exchange_rate_coverage_severity', 'warn')) }}

{%- set failing_sql -%}
select
    {{ currency_column }} as currency_code,
    count(*) as row_count,
    sum({{ local_column }}) as unconverted_amount_local
from {{ model }}
where
    {{ local_column }} is not null
    and {{ column_name }} is null
group by {{ currency_column }}
{%- endset -%}

{#- a `where` config turns model into a subquery: log only for a relation -#}
{%- if execute and model is not string and load_relation(model) is not none -%}
    {%- set found = run_query(failing_sql ~ ' order by 2 desc, 1') -%}
    {%- if found.rows | length > 0 -%}
        {%- set names = [] -%}
        {%- for row in found.rows -%}
            {%- do names.append("'" ~ (row[0] if row[0] is not none else 'no currency') ~ "' (" ~ row[1] ~ " rows)") -%}
        {%- endfor -%}
        {{ log("Unconverted " ~ column_name ~ " in " ~ model.identifier ~ ": " ~ names | join(', ')
            ~ ". Add the currency's rates to seeds/exchange_rates.csv or fix the code in the CRM.", info=true) }}
    {%- endif -%}
{%- endif %}

{{ failing_sql }}

{% endtest %}
