{% macro clean_text(expr) -%}
    nullif(trim({{ expr }}), '')
{%- endmacro %}

{% macro map_through_seed(expr) -%}
    nullif(lower(trim({{ expr }})), '')
{%- endmacro %}

{#- The canonical forecast category (commit, best_case, pipeline, omitted,
    closed) of a lower-cased, trimmed raw value, whichever CRM wrote it:
    Salesforce's ForecastCategoryName (Pipeline, Best Case, Commit, Closed,
    Omitted) and its API values (BestCase; Forecast is Commit), HubSpot's
    labels (Not forecasted, Pipeline, Best case, Commit, Closed won) and its
    internal values (OMIT, BEST_CASE, CLOSED ...). Other values pass through,
    spaces and hyphens as underscores. -#}
{% macro normalize_forecast_category(expr) -%}
    {%- set category = "replace(replace(" ~ expr ~ ", ' ', '_'), '-', '_')" -%}
    case
        when {{ category }} in ('omit', 'not_forecasted') then 'omitted'
        when {{ category }} = 'closed_won' then 'closed'
        when {{ category }} = 'bestcase' then 'best_case'
        when {{ category }} = 'forecast' then 'commit'
        else {{ category }}
    end
{%- endmacro %}

{% macro normalize_email(expr) -%}
    nullif(lower(trim({{ expr }})), '')
{%- endmacro %}

{#- See the doc block email_rule (the rule the demo generator counts by). -#}
{% macro is_valid_email(normalized_email) -%}
    coalesce({{ regexp_like(normalized_email, "'^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$'") }}, false)
{%- endmacro %}

{#- See the doc block phone_rule: E.164 where the number says its country
    (a + or 00 prefix) or is North American by shape; else the trimmed text. -#}
{% macro normalize_phone(expr) -%}
    {%- set stripped = regexp_replace_all("trim(" ~ expr ~ ")", "'[\\s().\\-/]'", "''") -%}
    case
        when nullif(trim({{ expr }}), '') is null then null
        when {{ regexp_like(stripped, "'^\\+[1-9][0-9]{6,14}$'") }} then {{ stripped }}
        when {{ regexp_like(stripped, "'^00[1-9][0-9]{6,14}$'") }} then '+' || substr({{ stripped }}, 3)
        when {{ regexp_like(stripped, "'^[2-9][0-9]{9}$'") }} then '+1' || {{ stripped }}
        when {{ regexp_like(stripped, "'^1[2-9][0-9]{9}$'") }} then '+' || {{ stripped }}
        else trim({{ expr }})
    end
{%- endmacro %}

{#- A plausible phone: only digits, spaces, ( ) . - / and a leading +, with 7 to
    15 digits. Takes the raw (or normalised) phone. -#}
{% macro is_valid_phone(phone_expr) -%}
    coalesce(
        {{ regexp_like("trim(" ~ phone_expr ~ ")", "'^\\+?[0-9 ().\\-/]+$'") }}
        and length({{ regexp_replace_all(phone_expr, "'[^0-9]'", "''") }}) between 7 and 15,
        false
    )
{%- endmacro %}

{#- A region in its standard spelling: the regions seed's name for the raw
    value (joined as `regions_alias` on map_through_seed(raw)), else the value
    as written (counted in dq_unmapped_values). -#}
{% macro standard_region(raw_expr, regions_alias) -%}
    coalesce({{ regions_alias }}.region, {{ raw_expr }})
{%- endmacro %}
