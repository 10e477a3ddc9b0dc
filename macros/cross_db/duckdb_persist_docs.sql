{#- persist_docs on DuckDB in one statement per model. dbt's default
    persist_docs runs the relation's comment, then describes the relation,
    then dbt-duckdb's alter_column_comment describes it again and runs the
    column comments: four statements through dbt's per-statement machinery
    (context, events, result table) for every table a build writes. This
    describes it once and runs every comment in one statement; the comments
    written are the same (the documented columns the relation has, a
    warning naming those it lacks). DuckDB only: other adapters keep theirs. -#}
{% macro duckdb__persist_docs(relation, model, for_relation, for_columns) -%}
    {%- set statements = [] -%}
    {%- if for_relation and config.persist_relation_docs() and model.description -%}
        {%- do statements.append(alter_relation_comment(relation, model.description)) -%}
    {%- endif -%}
    {%- if for_columns and config.persist_column_docs() and model.columns -%}
        {%- set existing = adapter.get_columns_in_relation(relation) | map(attribute="name") | list -%}
        {%- set documented = validate_doc_columns(relation, model.columns, existing) -%}
        {%- for name, column in documented.items() -%}
            {%- set quoted = adapter.quote(name) if column["quote"] else name -%}
            {%- do statements.append(
                "comment on column " ~ relation ~ "." ~ quoted
                ~ " is " ~ duckdb_escape_comment(column["description"]) ~ ";"
            ) -%}
        {%- endfor -%}
    {%- endif -%}
    {%- if statements -%}
        {%- do run_query(statements | join("\n")) -%}
    {%- endif -%}
{%- endmacro %}
