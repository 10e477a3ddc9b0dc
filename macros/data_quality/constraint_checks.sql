{#- The checks of the constraints_hold test (tests/generic/constraints_hold.sql):
    one {column, name, failing} per constraint declared on the model whose
    relation is `model` (found in the graph by schema and alias): `column` a
    SQL literal (null for a model's check), `failing` SQL true on a row that
    breaks it. A model declaring none fails to compile: a test that checks
    nothing would pass whatever the data. -#}
{% macro constraint_checks(model) %}
    {%- if not execute -%}
        {{ return([{"column": "cast(null as " ~ dbt.type_string() ~ ")", "name": "parsing", "failing": "false"}]) }}
    {%- endif -%}
    {%- set nodes = graph.nodes.values()
        | selectattr("resource_type", "in", ["model", "snapshot"])
        | selectattr("schema", "equalto", model.schema)
        | selectattr("alias", "equalto", model.identifier)
        | list -%}
    {%- if nodes | length != 1 -%}
        {{ exceptions.raise_compiler_error("constraints_hold: no single model is " ~ model) }}
    {%- endif -%}
    {%- set checks = [] -%}
    {%- for column in nodes[0].columns.values() -%}
        {%- for constraint in column.constraints -%}
            {%- set quoted = adapter.quote(column.name) -%}
            {%- if constraint.type == "not_null" -%}
                {%- do checks.append({
                    "column": "'" ~ column.name ~ "'",
                    "name": "not_null",
                    "failing": quoted ~ " is null",
                }) -%}
            {%- elif constraint.type == "check" -%}
                {%- do checks.append({
                    "column": "'" ~ column.name ~ "'",
                    "name": constraint.name or "check_" ~ (checks | length + 1),
                    "failing": "not (" ~ constraint.expression ~ ")",
                }) -%}
            {%- else -%}
                {{ exceptions.raise_compiler_error(
                    "constraints_hold: " ~ nodes[0].name ~ "." ~ column.name
                    ~ " declares a " ~ constraint.type ~ " constraint; only not_null and check are checked"
                ) }}
            {%- endif -%}
        {%- endfor -%}
    {%- endfor -%}
    {%- for constraint in nodes[0].constraints -%}
        {%- if constraint.type != "check" -%}
            {{ exceptions.raise_compiler_error(
                "constraints_hold: " ~ nodes[0].name ~ " declares a model " ~ constraint.type
                ~ " constraint; only check is checked at model level"
            ) }}
        {%- endif -%}
        {%- do checks.append({
            "column": "cast(null as " ~ dbt.type_string() ~ ")",
            "name": constraint.name or "check_" ~ (checks | length + 1),
            "failing": "not (" ~ constraint.expression ~ ")",
        }) -%}
    {%- endfor -%}
    {%- if not checks -%}
        {{ exceptions.raise_compiler_error(
            "constraints_hold: " ~ nodes[0].name ~ " declares no constraint to check"
        ) }}
    {%- endif -%}
    {{ return(checks) }}
{% endmacro %}
