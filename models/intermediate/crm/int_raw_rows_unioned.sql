{#- One row per row landed in a raw contract table: its version
    classification from base_crm__<table> (the one definition of the latest
    version, which staging filters on) and whether it exactly duplicates an
    earlier row. Key and columns come from the raw contract (source YAML) at
    run time. -#}
{%- for table_name in crm_contract_table_names() %}
-- depends_on: {{ ref('base_crm__' ~ table_name) }}
{%- endfor %}

with unioned as (
    {%- for table_name in crm_contract_table_names() %}
        {{ dq_classify_raw_rows(table_name) }}
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
)

select * from unioned
