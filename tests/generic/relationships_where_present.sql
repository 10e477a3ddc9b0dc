{#- dbt's `relationships` test (every non-null column_name has a row in `to`
    with that `field`), except that it passes when `to` has no rows at all:
    an export that lacks the referenced entity (an opportunities-only export
    has no reps) still builds. Its dangling references are not lost: the
    data-quality mart dq_missing_references counts them per foreign key and
    says whether the referenced entity is absent. Where `to` has rows, the
    test fails (or warns) exactly as `relationships` does. -#}
{% test relationships_where_present(model, column_name, to, field) %}

with parent as (
    select {{ field }} as parent_key
    from {{ to }}
),

child as (
    select {{ column_name }} as child_key
    from {{ model }}
    where {{ column_name }} is not null
)

select child.child_key
from child
left join parent
    on child.child_key = parent.parent_key
where
    parent.parent_key is null
    and exists (select 1 from parent)

{% endtest %}
