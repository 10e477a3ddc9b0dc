{#- The 'all' rows of the long table kpi_mrr_movements_monthly: what a BI user
    sums over periods without a filter. A view; publish copies it as a table. -#}
{{ config(materialized='view') }}

select * from {{ ref('kpi_mrr_movements_monthly') }}  -- noqa: AM04
where dimension_name = 'all'
