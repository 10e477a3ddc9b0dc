{#- KPIs whose input entity the export lacks are null, not 0: "unknown is
    not zero". Presence is decided once, in int_export_entities_counted. -#}

{#- True when every entity named (raw contract table names, a name or a list)
    has at least one record in staging; an uncorrelated scalar subquery, so it
    can sit in any select list without a join. -#}
{% macro entities_present(entities) -%}
    {%- set names = [entities] if entities is string else entities | list -%}
    (
        select count(*)
        from {{ ref('int_export_entities_counted') }}
        where is_present and entity_name in ('{{ names | join("', '") }}')
    ) = {{ names | length }}
{%- endmacro %}


{#- `expression` when every entity named is present, else null. -#}
{% macro if_entities_present(entities, expression) -%}
    case when {{ entities_present(entities) }} then {{ expression }} end
{%- endmacro %}
