{#- Every column whose config declares `meta: {not_null_where_present:
    [<entities>]}` is never null, except where the export lacks those
    entities (raw contract table names, all of them required): a count over
    an absent entity is null by design ("unknown is not zero", macro
    if_entities_present), and only there.

    One test node per model for all its declared columns, counted in one
    pass: each data test node costs dbt its own work whatever the data
    (docs/performance.md, "One not-null-where-present test per model"); one
    test per column was 77 nodes in 14 models.

    One row per column that breaks it: the column, its entities and how many
    null rows it has. A model declaring no such column fails to compile: a
    test that checks nothing would pass whatever the data. -#}
{% test not_null_where_present(model) %}
{%- set checks = not_null_where_present_checks(model) %}
-- depends_on: {{ ref('int_export_entities_counted') }}

with counted as (
    select
    {%- for check in checks %}
        sum(case when {{ adapter.quote(check.column) }} is null then 1 else 0 end) as null_rows_{{ loop.index }}
        {{- "," if not loop.last }}
    {%- endfor %}
    from {{ model }}
)

{% for check in checks -%}
select
    '{{ check.column }}' as column_name,
    '{{ check.entities | join(", ") }}' as entities,
    null_rows_{{ loop.index }} as failing_rows
from counted
where
    null_rows_{{ loop.index }} > 0
    and {{ entities_present(check.entities) }}
{% if not loop.last %}union all
{% endif %}
{%- endfor %}

{% endtest %}
