{#- Every constraint declared on the model and its columns holds, checked by
    one test node: on a column `not_null`, `check` (`expression`) and
    `primary_key`; on the model `check` and `unique` (`columns`).

    dbt enforces constraints only in an enforced model contract, through the
    engine's DDL; this project's models have no contract (their column types
    differ by engine), so this one test node per model checks what they
    declare, where a test per column and rule was one node each (each data
    test node costs dbt about 14 ms of its own whatever the data, see
    docs/performance.md). The row rules (not_null, check) are counted in one
    pass over the model, each key in one grouping.

    One row per broken constraint: the column(s), the constraint (its type,
    or a check's name, else `check_<n>`) and how many rows break it (for a
    key: how many values are repeated, or null for a primary key). A check
    passes on a row where its expression is null, as an engine's CHECK does;
    a model's `unique` takes nulls as equal (GROUP BY), stricter than an
    engine's UNIQUE. -#}
{% test constraints_hold(model) %}
{%- set checks = constraint_checks(model) %}
{%- set rows = checks | selectattr("kind", "equalto", "row") | list %}
{%- set keys = checks | selectattr("kind", "equalto", "key") | list %}
{#- (check, its count of failures, the CTE holding it), one per check -#}
{%- set counts = [] %}

with
{%- if rows %}
counted as (
    select
    {%- for check in rows %}
        sum(case when {{ check.failing }} then 1 else 0 end) as failing_{{ loop.index }}
        {{- "," if not loop.last }}
        {%- do counts.append((check, "failing_" ~ loop.index, "counted")) %}
    {%- endfor %}
    from {{ model }}
){{ "," if keys }}
{%- endif %}
{%- for check in keys %}

keyed_{{ loop.index }} as (
    select count(*) as failing_rows
    from (
        select {{ check.key }}
        from {{ model }}
        group by {{ check.key }}
        having count(*) > 1
        {%- if check.null_fails %} or {{ check.key }} is null{% endif %}
    ) as repeated
){{ "," if not loop.last }}
{%- do counts.append((check, "failing_rows", "keyed_" ~ loop.index)) %}
{%- endfor %}

{% for check, failing, source in counts -%}
select
    {{ check.column }} as column_name,
    '{{ check.name }}' as constraint_name,
    {{ failing }} as failing_rows
from {{ source }}
where {{ failing }} > 0
{% if not loop.last %}union all
{% endif %}
{%- endfor %}

{% endtest %}
