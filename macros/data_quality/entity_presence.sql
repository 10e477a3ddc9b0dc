{#- KPIs whose input entity the export lacks are null, not 0: "unknown is
    not zero". Presence is decided once, in int_export_entities_counted. -#}

{#- True when every entity named (raw contract table names, a name or a list)
    has at least one record in staging - or, with require='any', when one of
    them has. An uncorrelated scalar subquery, so it can sit in any select
    list without a join. -#}
{% macro entities_present(entities, require='all') -%}
    {%- set names = [entities] if entities is string else entities | list -%}
    {%- if require not in ('all', 'any') -%}
        {{ exceptions.raise_compiler_error("entities_present: require must be 'all' or 'any', not " ~ require) }}
    {%- endif -%}
    (
        select count(*)
        from {{ ref('int_export_entities_counted') }}
        where is_present and entity_name in ('{{ names | join("', '") }}')
    ) {{ '= ' ~ (names | length) if require == 'all' else '> 0' }}
{%- endmacro %}


{#- `expression` when the entities named are present (all of them, or one
    with require='any'), else null: a count over an entity the export lacks
    is unknown, not 0. -#}
{% macro if_entities_present(entities, expression, require='all') -%}
    case when {{ entities_present(entities, require) }} then {{ expression }} end
{%- endmacro %}


{#- A count or sum over an entity: coalesce(column, 0) when the entities
    named are present (a month without rows counts 0), null when the export
    lacks one of them. -#}
{% macro coalesce_if_present(entities, column, require='all') -%}
    {{ if_entities_present(entities, 'coalesce(' ~ column ~ ', 0)', require) }}
{%- endmacro %}
