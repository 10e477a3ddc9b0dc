{#-
    on-run-start check: stop a run, build or test at once, with one message
    naming `crm-warehouse load`, when the raw tables of the sources `crm` and
    `crm_loader` do not exist yet (nothing was ever loaded into this
    warehouse). Without it every staging model fails on its own with
    "schema raw does not exist". `dbt seed`, `compile`, `parse`, `ls`, `docs`
    and `show` do not run on-run-start hooks or are left alone.
-#}
{% macro require_raw_loaded() %}
    {%- if execute and flags.WHICH in ('run', 'build', 'test', 'snapshot') -%}
        {%- set missing = [] -%}
        {%- for source in graph.sources.values()
            if source.source_name in ('crm', 'crm_loader') -%}
            {%- set relation = adapter.get_relation(
                database=source.database,
                schema=source.schema,
                identifier=source.identifier
            ) -%}
            {%- if relation is none -%}
                {%- do missing.append(source.schema ~ '.' ~ source.identifier) -%}
            {%- endif -%}
        {%- endfor -%}
        {%- if missing -%}
            {%- do exceptions.raise_compiler_error(
                'Nothing has been loaded into this warehouse (' ~ target.type ~ ' '
                ~ (target.path if target.type == 'duckdb' else target.schema) ~ '): '
                ~ missing | length ~ ' raw table(s) missing ('
                ~ (missing | sort)[:5] | join(', ')
                ~ (', ...' if missing | length > 5 else '')
                ~ '). Run `crm-warehouse load` (land files first, or `crm-warehouse generate`),'
                ~ ' or `crm-warehouse refresh` for the whole job, then run dbt again.'
            ) -%}
        {%- endif -%}
    {%- endif -%}
    select 1
{% endmacro %}
