{#- Rows a mapping adds to a seed (docs/import.md, `seed_rows`): the CSV
    <dir>/<seed_name>.csv with the seed's columns, all read as text, where <dir>
    is the var `extra_seed_rows_dir`, else the environment variable
    CRM_EXTRA_SEED_ROWS_DIR (the build sets it to <landing>/.seed_rows). A
    relative folder is taken from the project's folder. No folder, no file or
    an adapter that cannot read a local file gives zero rows. `columns` is the
    list of the seed's column names; every column comes out as a string, null
    where blank. -#}
{% macro extra_seed_rows(seed_name, columns) -%}
    {{ return(adapter.dispatch('extra_seed_rows', 'crm_warehouse')(seed_name, columns)) }}
{%- endmacro %}

{#- Path of the extra rows' file of a seed, or none when no folder is set. -#}
{% macro extra_seed_rows_path(seed_name) -%}
    {%- set folder = var('extra_seed_rows_dir', none) or env_var('CRM_EXTRA_SEED_ROWS_DIR', '') -%}
    {%- if not folder -%}
        {{ return(none) }}
    {%- endif -%}
    {%- if not (folder.startswith('/') or folder[1:3] == ':\\' or folder[1:3] == ':/') -%}
        {%- set folder = invocation_args_dict.get('project_dir', '.') ~ '/' ~ folder -%}
    {%- endif -%}
    {{ return(folder.rstrip('/\\') ~ '/' ~ seed_name ~ '.csv') }}
{%- endmacro %}

{% macro default__extra_seed_rows(seed_name, columns) -%}
    select
    {%- for column in columns %}
        cast(null as {{ dbt.type_string() }}) as {{ column }}{{ ',' if not loop.last }}
    {%- endfor %}
    where 1 = 0
{%- endmacro %}

{#- DuckDB reads the file when it exists; read_csv fails on a missing file,
    hence the glob() look-up first (at run time only: at parse time there is
    no database and the empty select stands in). -#}
{% macro duckdb__extra_seed_rows(seed_name, columns) -%}
    {%- set path = extra_seed_rows_path(seed_name) -%}
    {%- set found = namespace(value=false) -%}
    {%- if path and execute -%}
        {%- set literal = "'" ~ path.replace("'", "''") ~ "'" -%}
        {%- set result = run_query('select count(*) from glob(' ~ literal ~ ')') -%}
        {%- set found.value = result.rows[0][0] > 0 -%}
    {%- endif -%}
    {%- if found.value -%}
    select
    {%- for column in columns %}
        nullif(trim({{ column }}), '') as {{ column }}{{ ',' if not loop.last }}
    {%- endfor %}
    from read_csv({{ literal }}, header = true, all_varchar = true)
    {%- else -%}
    {{ default__extra_seed_rows(seed_name, columns) }}
    {%- endif -%}
{%- endmacro %}
