{#- Column comments (persist_docs) on Spark: a Hive metastore stores a column
    comment in a varchar(256), and a longer one makes the metastore reject the
    table's Hive-compatible form (a stack trace per model, then a fallback).
    Keep the first 250 characters there; the full text stays in dbt docs.
    Overrides dbt-spark's get_column_comment_sql (not dispatched); the same
    body as dbt-spark 1.11's otherwise. -#}
{% macro get_column_comment_sql(column_name, column_dict) -%}
    {%- set column_comment_clause = "" -%}
    {%- if column_name in column_dict and column_dict[column_name]["description"] -%}
        {%- set description = column_dict[column_name]["description"] -%}
        {%- if description | length > 250 -%}
            {%- set description = description[:247] ~ "..." -%}
        {%- endif -%}
        {%- set escaped_description = description | replace("'", "\\'") -%}
        {%- set column_comment_clause = "comment '" ~ escaped_description ~ "'" -%}
    {%- endif -%}
    {{ adapter.quote(column_name) }} {{ column_comment_clause }}
{%- endmacro %}
