{#- The model has no rows (with failing_when, a SQL condition: no rows that
    meet it); when it has, the failure output logs each row's name
    (name_column, a SQL expression) and count, e.g. for a list of unmapped
    values. -#}
{% test no_rows_named(model, name_column, count_column=none, failing_when=none) %}

{%- set failing_sql -%}
select
    {{ name_column }} as failing_name
    {%- if count_column %},
    {{ count_column }} as failing_count
    {%- endif %}
from {{ model }}
{%- if failing_when %}
where {{ failing_when }}
{%- endif %}
{%- endset -%}

{%- if execute and load_relation(model) is not none -%}
    {%- set found = run_query(failing_sql ~ ' order by 1') -%}
    {%- if found.rows | length > 0 -%}
        {%- set names = [] -%}
        {%- for row in found.rows -%}
            {%- do names.append("'" ~ row[0] ~ "'" ~ ((" (" ~ row[1] ~ ")") if count_column else "")) -%}
        {%- endfor -%}
        {{ log(model.identifier ~ " has " ~ names | length ~ " rows: " ~ names | join(', '), info=true) }}
    {%- endif -%}
{%- endif %}

{{ failing_sql }}

{% endtest %}
