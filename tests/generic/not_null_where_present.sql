{#- not_null, except where the export lacks the entities the column is
    computed from: a count over an absent entity is null by design ("unknown
    is not zero", macro if_entities_present), and only there. `entities`:
    raw contract table names; `require`: 'all' (default) or 'any', as in
    if_entities_present. -#}
{% test not_null_where_present(model, column_name, entities, require='all') %}

select {{ column_name }}
from {{ model }}
where
    {{ column_name }} is null
    and {{ entities_present(entities, require) }}

{% endtest %}
