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


{#- classify_versions of a whole raw table (the base models). `relation` is
    a table or view, read up to three times: not a CTE, which DuckDB would
    materialise whole for that. On DuckDB a key with one raw row (nearly all
    of them) needs no window: it is its own latest version, and
    has_later_version is its version compared with itself (false, or null
    when the version is null, as the window gives). Only the keys with
    several rows go through classify_versions' windows, which sort every row
    they read (docs/performance.md, "Windows only where they decide
    something"). Other engines read the table once, through
    classify_versions. -#}
{% macro classify_table_versions(relation, primary_key, version_column=none, soft_delete=none) -%}
    {{ return(adapter.dispatch('classify_table_versions', 'crm_warehouse')(
        relation, primary_key, version_column, soft_delete)) }}
{%- endmacro %}

{% macro default__classify_table_versions(relation, primary_key, version_column, soft_delete) -%}
    {{ classify_versions(relation, primary_key, version_column, soft_delete) }}
{%- endmacro %}

{% macro duckdb__classify_table_versions(relation, primary_key, version_column, soft_delete) -%}
    {%- set repeated_keys -%}
        select {{ primary_key }} from {{ relation }} group by {{ primary_key }} having count(*) > 1
    {%- endset -%}
    {%- set several_versions -%}
        (
            select several.*
            from {{ relation }} as several
            semi join ({{ repeated_keys }}) as repeated
                on several.{{ primary_key }} is not distinct from repeated.{{ primary_key }}
        ) as several_versions
    {%- endset -%}
    select
        single.*,
        {% if version_column -%}
        single.{{ version_column }} < single.{{ version_column }}
        {%- else -%}
        false
        {%- endif %} as has_later_version,
        true as is_latest_version,
        {% if soft_delete -%}
        coalesce(single.{{ soft_delete }}, false)
        {%- else -%}
        false
        {%- endif %} as is_deleted_version
    from {{ relation }} as single
    anti join ({{ repeated_keys }}) as repeated
        on single.{{ primary_key }} is not distinct from repeated.{{ primary_key }}
    union all
    {{ classify_versions(several_versions, primary_key, version_column, soft_delete) }}
{%- endmacro %}
