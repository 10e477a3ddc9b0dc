{#- One row per row landed in a raw contract table: its version
    classification from base_crm__<table> (the one definition of the latest
    version, which staging filters on) and whether it exactly duplicates an
    earlier row. Key and columns come from the raw contract (source YAML) at
    run time.
    Incremental where the adapter can replace rows by key (macro
    keyed_incremental_materialization): a run reclassifies every row of the
    records (table, primary key) that received a raw row since the newest
    loaded_at it holds minus var incremental_lookback_minutes, and replaces
    them on (table_name, source_file, source_row): a new version changes the
    classification of the record's older rows. -#}
{{ config(
    materialized=keyed_incremental_materialization(),
    unique_key=['table_name', 'source_file', 'source_row'],
    incremental_strategy='delete+insert',
    on_schema_change='fail',
) }}
{%- for table_name in crm_contract_table_names() %}
-- depends_on: {{ ref('base_crm__' ~ table_name) }}
-- depends_on: {{ source('crm', table_name) }}
{%- endfor %}

with unioned as (
    {%- for table_name in crm_contract_table_names() %}
        {#- an incremental run classifies only the records touched since the last build -#}
        {%- set touched = crm_touched_rows_classified(table_name) if is_incremental() else none %}
        {{ dq_classify_raw_rows(table_name, touched) }}
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
)

select * from unioned
