{#- The checks of the constraints_hold test (tests/generic/constraints_hold.sql),
    one per constraint declared on the model whose relation is `model` (found
    in the graph by schema and alias). Each has `column` (a SQL literal
    naming the column(s), null for a model's check), `name` and `kind`:
    `row` with `failing` (SQL true on a row that breaks it: not_null, check),
    or `key` with `key` (the quoted columns) and `null_fails` (primary_key:
    a null key fails too; a model's unique: nulls are equal). A model
    declaring none fails to compile: a test that checks nothing would pass
    whatever the data. -#}
{% macro constraint_checks(model) %}
    {%- if not execute -%}
        {{ return([{"kind": "row", "column": "'parsing'", "name": "parsing", "failing": "false"}]) }}
    {%- endif -%}
    {%- set node = tested_model_node(model, "constraints_hold") -%}
    {%- set checks = [] -%}
    {%- for column in node.columns.values() -%}
        {%- set literal = "'" ~ column.name ~ "'" -%}
        {%- set quoted = adapter.quote(column.name) -%}
        {%- for constraint in column.constraints -%}
            {%- if constraint.type == "not_null" -%}
                {%- do checks.append({
                    "kind": "row", "column": literal, "name": "not_null",
                    "failing": quoted ~ " is null",
                }) -%}
            {%- elif constraint.type == "check" -%}
                {%- do checks.append({
                    "kind": "row", "column": literal,
                    "name": constraint.name or "check_" ~ (checks | length + 1),
                    "failing": "not (" ~ constraint.expression ~ ")",
                }) -%}
            {%- elif constraint.type == "primary_key" -%}
                {%- do checks.append({
                    "kind": "key", "column": literal, "name": "primary_key",
                    "key": quoted, "null_fails": true,
                }) -%}
            {%- else -%}
                {{ exceptions.raise_compiler_error(
                    "constraints_hold: " ~ node.name ~ "." ~ column.name ~ " declares a "
                    ~ constraint.type ~ " constraint; a column's not_null, check and primary_key are checked"
                ) }}
            {%- endif -%}
        {%- endfor -%}
    {%- endfor -%}
    {%- for constraint in node.constraints -%}
        {%- if constraint.type == "check" -%}
            {%- do checks.append({
                "kind": "row", "column": "cast(null as " ~ dbt.type_string() ~ ")",
                "name": constraint.name or "check_" ~ (checks | length + 1),
                "failing": "not (" ~ constraint.expression ~ ")",
            }) -%}
        {%- elif constraint.type == "unique" and constraint.columns -%}
            {%- set quoted = [] -%}
            {%- for name in constraint.columns -%}
                {%- do quoted.append(adapter.quote(name)) -%}
            {%- endfor -%}
            {%- do checks.append({
                "kind": "key", "column": "'" ~ constraint.columns | join(", ") ~ "'",
                "name": constraint.name or "unique", "key": quoted | join(", "), "null_fails": false,
            }) -%}
        {%- else -%}
            {{ exceptions.raise_compiler_error(
                "constraints_hold: " ~ node.name ~ " declares a model " ~ constraint.type
                ~ " constraint; a model's check and unique (with columns) are checked"
            ) }}
        {%- endif -%}
    {%- endfor -%}
    {%- if not checks -%}
        {{ exceptions.raise_compiler_error(
            "constraints_hold: " ~ node.name ~ " declares no constraint to check"
        ) }}
    {%- endif -%}
    {{ return(checks) }}
{% endmacro %}


{#- The checks of the not_null_where_present test
    (tests/generic/not_null_where_present.sql): one per column of the model
    whose relation is `model` (macro tested_model_node) that declares
    `config: {meta: {not_null_where_present: [<entities>]}}`, as {column,
    entities}. Raises a compilation error when none does, or when the
    entities are not a list of raw contract table names. -#}
{% macro not_null_where_present_checks(model) %}
    {%- if not execute -%}
        {{ return([{"column": "parsing", "entities": ["parsing"]}]) }}
    {%- endif -%}
    {%- set node = tested_model_node(model, "not_null_where_present") -%}
    {%- set tables = crm_contract_table_names() -%}
    {%- set checks = [] -%}
    {%- for column in node.columns.values() -%}
        {#- dbt copies a column's config.meta into its meta -#}
        {%- set entities = (column.meta or {}).get("not_null_where_present") -%}
        {%- if entities is not none -%}
            {%- if entities is string or entities is mapping or not entities
                or entities | reject("in", tables) | list -%}
                {{ exceptions.raise_compiler_error(
                    "not_null_where_present: " ~ node.name ~ "." ~ column.name
                    ~ " declares " ~ entities ~ "; give a list of raw contract tables, e.g. [leads]"
                ) }}
            {%- endif -%}
            {%- do checks.append({"column": column.name, "entities": entities | list}) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if not checks -%}
        {{ exceptions.raise_compiler_error(
            "not_null_where_present: " ~ node.name ~ " declares no column with meta not_null_where_present"
        ) }}
    {%- endif -%}
    {{ return(checks) }}
{% endmacro %}


{#- The graph node of the model or snapshot whose relation is `model`, found
    by schema and alias, for a generic test that reads what the model
    declares; `test_name` names the test in the error raised when no single
    node matches. Call it only when `execute` is true. -#}
{% macro tested_model_node(model, test_name) %}
    {%- set nodes = graph.nodes.values()
        | selectattr("resource_type", "in", ["model", "snapshot"])
        | selectattr("schema", "equalto", model.schema)
        | selectattr("alias", "equalto", model.identifier)
        | list -%}
    {%- if nodes | length != 1 -%}
        {{ exceptions.raise_compiler_error(test_name ~ ": no single model is " ~ model) }}
    {%- endif -%}
    {{ return(nodes[0]) }}
{% endmacro %}
