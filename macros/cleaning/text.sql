{% macro clean_text(expr) -%}
    nullif(trim({{ expr }}), '')
{%- endmacro %}

{% macro map_through_seed(expr) -%}
    nullif(lower(trim({{ expr }})), '')
{%- endmacro %}

{% macro normalize_email(expr) -%}
    nullif(lower(trim({{ expr }})), '')
{%- endmacro %}

{#- See the doc block email_rule. -#}
{% macro is_valid_email(normalized_email) -%}
    coalesce(
        {{ regexp_like(normalized_email, "'^[a-z0-9._%+-]+@[a-z0-9-]+(\\.[a-z0-9-]+)*\\.[a-z]{2,}$'") }},
        false
    )
{%- endmacro %}

{#- See the doc block phone_rule. -#}
{% macro normalize_phone(expr) -%}
    {%- set stripped = regexp_replace_all("trim(" ~ expr ~ ")", "'[\\s().\\-/]'", "''") -%}
    case
        when nullif(trim({{ expr }}), '') is null then null
        when {{ regexp_like(stripped, "'^\\+[0-9]+$'") }} then {{ stripped }}
        when {{ regexp_like(stripped, "'^00[0-9]+$'") }} then '+' || substr({{ stripped }}, 3)
        when {{ regexp_like(stripped, "'^[2-9][0-9]{9}$'") }} then '+1' || {{ stripped }}
        when {{ regexp_like(stripped, "'^1[2-9][0-9]{9}$'") }} then '+' || {{ stripped }}
        else trim({{ expr }})
    end
{%- endmacro %}

{% macro is_valid_phone(normalized_phone) -%}
    coalesce({{ regexp_like(normalized_phone, "'^\\+[1-9][0-9]{7,14}$'") }}, false)
{%- endmacro %}
