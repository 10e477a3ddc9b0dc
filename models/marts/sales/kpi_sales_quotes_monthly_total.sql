{#- The 'all' rows of the long table kpi_sales_quotes_monthly: what a BI user sums over
    periods without a filter (the long table counts every row once per
    dimension plus once). A view; publish copies it as a table. -#}
{{ config(materialized='view') }}

select * from {{ ref('kpi_sales_quotes_monthly') }}  -- noqa: AM04
where dimension_name = 'all'
