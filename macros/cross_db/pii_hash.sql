{#- Keyed hash of a personal value (email, phone): hex sha256 of the
    warehouse's secret salt followed by the value, so a published hash cannot
    be reversed by hashing a list of known addresses, and the same salt gives
    the same hash on every refresh (joins and distinct counts keep working).
    The salt is read at run time from its one-row table (the loader creates
    raw._pii_salt once per warehouse; staged as stg_crm_loader__pii_salt), so
    the compiled SQL names the table, never the value. Null in, null out. -#}
{% macro pii_hash(expr) -%}
    {%- set salt = "(select salt from " ~ ref('stg_crm_loader__pii_salt') ~ ")" -%}
    {{ return(adapter.dispatch('pii_hash', 'crm_warehouse')(expr, salt)) }}
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

{#- Stops a build or run before anything is hashed when the warehouse has no
    salt (a warehouse loaded before the loader made one, or the table
    emptied): hashing with a missing or default salt would publish reversible
    hashes or nulls. Only the count is queried; the value never reaches Jinja. -#}
{% macro require_pii_salt(salt_source) -%}
    {%- if execute and flags.WHICH in ('build', 'run', 'retry') -%}
        {%- set found = adapter.get_relation(
            database=salt_source.database,
            schema=salt_source.schema,
            identifier=salt_source.identifier,
        ) -%}
        {%- set salts = namespace(count=0) -%}
        {%- if found is not none -%}
            {%- set result = run_query(
                "select count(*) from " ~ found ~ " where length(salt) >= 32"
            ) -%}
            {%- set salts.count = result.rows[0][0] -%}
        {%- endif -%}
        {%- if salts.count != 1 -%}
            {{ exceptions.raise_compiler_error(
                "This warehouse has no salt for the personal-data hashes ("
                ~ salt_source.schema ~ "." ~ salt_source.identifier
                ~ " is missing or empty). Run `crm-warehouse load` once: the loader creates it"
                ~ " (one random secret per warehouse) and the build can go on. No hash is"
                ~ " made without it (docs/serving.md, Privacy)."
            ) }}
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}
