{#- A primary key: never null and never repeated, in one pass over the model
    (dbt's `unique` and `not_null` on one column, as one test node: each data
    test node costs dbt about 14 ms of its own whatever the data, see
    docs/performance.md). One row per failing value: null, or a value held
    by more than one row, with how many rows hold it. -#}
{% test primary_key(model, column_name) %}

select
    {{ column_name }} as key_value,
    count(*) as row_count
from {{ model }}
group by {{ column_name }}
having {{ column_name }} is null or count(*) > 1

{% endtest %}
