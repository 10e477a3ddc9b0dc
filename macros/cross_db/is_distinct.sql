{#- True when two values differ, nulls compared as values (null and null are
    the same, null and a value differ): `is distinct from` written with
    operators every engine has. -#}
{% macro is_distinct(left_expr, right_expr) -%}
    coalesce({{ left_expr }} <> {{ right_expr }}, not ({{ left_expr }} is null and {{ right_expr }} is null))
{%- endmacro %}
