{#- Every row of a raw table, classified by version: is_latest_version (the
    newest version of its key; ties on the version column are broken by the
    later load, file and row), has_later_version (a newer version column value
    exists for the key) and is_deleted_version (the row marks its key
    deleted). The one definition of "latest version": staging keeps the rows
    that are latest and not deleted, the data-quality marts count the rest. -#}
{% macro classify_versions(relation, primary_key, version_column=none, soft_delete=none) -%}
    select
        *,
        {% if version_column -%}
        {{ version_column }} < max({{ version_column }}) over (partition by {{ primary_key }})
        {%- else -%}
        false
        {%- endif %} as has_later_version,
        row_number() over (
            partition by {{ primary_key }}
            order by
                {% if version_column %}{{ version_column }} desc nulls last,{% endif %}
                _loaded_at desc,
                _source_file desc,
                _source_row desc
        ) = 1 as is_latest_version,
        {% if soft_delete -%}
        coalesce({{ soft_delete }}, false)
        {%- else -%}
        false
        {%- endif %} as is_deleted_version
    from {{ relation }}
{%- endmacro %}
