{#- Every member of every sales dimension that occurs on an opportunity, plus the
    lead sources and channel groups that occur on leads (close rate), and 'all'. -#}
with opportunity_dimensions as (
    select * from {{ ref('int_sales_opportunity_dimensions_unpivoted') }}
),

leads as (
    select * from {{ ref('fct_leads') }}
),

from_opportunities as (
    select distinct
        dimension_name,
        dimension_value,
        dimension_label
    from opportunity_dimensions
),

from_leads as (
    select distinct
        'lead_source' as dimension_name,
        lead_source as dimension_value,
        lead_source as dimension_label
    from leads
    union
    select distinct
        'channel_group' as dimension_name,
        channel_group as dimension_value,
        channel_group as dimension_label
    from leads
),

final as (
    select
        'all' as dimension_name,
        'all' as dimension_value,
        'all' as dimension_label
    union
    select * from from_opportunities
    union
    select * from from_leads
)

select * from final
