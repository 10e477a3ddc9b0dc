{#- Every constraint declared on the model and its columns holds, checked in
    one pass over the model: `constraints: [{type: not_null}]` on a column,
    and `{type: check, expression: ...}` on a column or on the model.

    dbt enforces constraints only in an enforced model contract, through the
    engine's DDL; this project's models have no contract (their column types
    differ by engine), so this one test node per model checks what they
    declare, where a `not_null` test per column was one node each (each data
    test node costs dbt about 14 ms of its own whatever the data, see
    docs/performance.md). One row per broken constraint: the column (null
    for a model's check), the constraint (`not_null`, or the check's name,
    else `check_<n>`) and how many rows break it. A check passes on a row
    where its expression is null, as an engine's CHECK does. -#}
{% test constraints_hold(model) %}
{%- set checks = constraint_checks(model) %}

with counted as (
    select
    {%- for check in checks %}
        sum(case when {{ check.failing }} then 1 else 0 end) as failing_{{ loop.index }}
        {{- "," if not loop.last }}
    {%- endfor %}
    from {{ model }}
)

{% for check in checks -%}
select
    {{ check.column }} as column_name,
    '{{ check.name }}' as constraint_name,
    failing_{{ loop.index }} as failing_rows
from counted
where failing_{{ loop.index }} > 0
{% if not loop.last %}union all
{% endif %}
{%- endfor %}

{% endtest %}

