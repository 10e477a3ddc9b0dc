{#- The latest version of each key; keys whose latest version is soft-deleted dropped.
    Ties on the version column are broken by the later load, file and row. -#}
{% macro latest_versions(relation, primary_key, version_column=none, soft_delete=none) -%}
    select *
    from (
        select
            *,
            row_number() over (
                partition by {{ primary_key }}
                order by
                    {% if version_column %}{{ version_column }} desc nulls last,{% endif %}
                    _loaded_at desc,
                    _source_file desc,
                    _source_row desc
            ) as version_rank
        from {{ relation }}
    ) as ranked
    where version_rank = 1
    {%- if soft_delete %}
        and not coalesce({{ soft_delete }}, false)
    {%- endif %}
{%- endmacro %}
