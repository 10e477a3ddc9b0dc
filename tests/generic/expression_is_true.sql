{#- Every row satisfies a boolean SQL expression (failing rows are returned; a
    null result passes, as in dbt_utils).
    Model-level; add `config: {where: ...}` to test a subset. -#}
{% test expression_is_true(model, expression, column_name=none) %}

select *
from {{ model }}
where not ({% if column_name %}{{ column_name }} {% endif %}{{ expression }})

{% endtest %}
