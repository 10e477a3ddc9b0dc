{#- Every raw enumeration value maps through its seed. Fails with one row per
    unmapped raw value (the value and how many rows carry it), and logs the
    values, so the output names what to add to the seed or fix in the CRM.
    column_name is the canonical column (null when unmapped), raw_column the
    raw value. The demo data injects unmapped values on purpose, so the
    project gives this test the severity of the var `unmapped_value_severity`
    (default warn; set it to error to make an unmapped value fail the build). -#}
{% test mapped_through_seed(model, column_name, raw_column) %}

{%- set failing_sql -%}
select
    {{ raw_column }} as unmapped_value,
    count(*) as row_count
from {{ model }}
where
    {{ column_name }} is null
    and {{ raw_column }} is not null
group by {{ raw_column }}
{%- endset -%}

{%- if execute and load_relation(model) is not none -%}
    {%- set found = run_query(failing_sql ~ ' order by 2 desc, 1') -%}
    {%- if found.rows | length > 0 -%}
        {%- set names = [] -%}
        {%- for row in found.rows -%}
            {%- do names.append("'" ~ row[0] ~ "' (" ~ row[1] ~ " rows)") -%}
        {%- endfor -%}
        {{ log("Unmapped " ~ column_name ~ " in " ~ model.identifier ~ ": " ~ names | join(', ')
            ~ ". Add them to the seed or fix them in the CRM.", info=true) }}
    {%- endif -%}
{%- endif %}

{{ failing_sql }}

{% endtest %}
