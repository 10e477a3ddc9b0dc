{#- Keyed hash of a personal value (email, phone): hex sha256 of the
    warehouse's secret salt followed by the value, so a published hash cannot
    be reversed by hashing a list of known addresses, and the same salt gives
    the same hash on every refresh (joins and distinct counts keep working).
    The salt is the var pii_salt, else the env var CRM_PII_SALT; crm_warehouse
    passes it from the file beside the warehouse (crm_warehouse/privacy.py).
    Null in, null out. -#}
{% macro pii_hash(expr) -%}
    {{ return(adapter.dispatch('pii_hash', 'crm_warehouse')(expr, pii_salt())) }}
{%- endmacro %}

{#- The salt as a SQL string literal. Building models without one fails (an
    unsalted hash would be reversible); parsing, compiling and linting render a
    placeholder. -#}
{% macro pii_salt() -%}
    {%- set salt = var('pii_salt', none) or env_var('CRM_PII_SALT', '') -%}
    {%- if not salt and execute and flags.WHICH in ('build', 'run') -%}
        {{ exceptions.raise_compiler_error(
            "no salt for personal-data hashes: set the var pii_salt or CRM_PII_SALT "
            ~ "(crm-warehouse does it from the salt file beside the warehouse)"
        ) }}
    {%- endif -%}
    {%- if "'" in salt or "\\" in salt -%}
        {{ exceptions.raise_compiler_error("pii_salt must not contain quotes or backslashes") }}
    {%- endif -%}
    {{ return("'" ~ (salt or 'no-salt-compile-only') ~ "'") }}
{%- endmacro %}

{% macro default__pii_hash(expr, salt) -%}
    sha256({{ salt }} || {{ expr }})
{%- endmacro %}

{#- PostgreSQL 11+: sha256(bytea) returns bytea. -#}
{% macro postgres__pii_hash(expr, salt) -%}
    encode(sha256(convert_to({{ salt }} || {{ expr }}, 'UTF8')), 'hex')
{%- endmacro %}

{% macro spark__pii_hash(expr, salt) -%}
    sha2(concat({{ salt }}, {{ expr }}), 256)
{%- endmacro %}
