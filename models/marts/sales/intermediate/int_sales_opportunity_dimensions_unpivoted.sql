{#- One row per opportunity and sales dimension (long format): the member of
    each of the catalogue's dimensions the opportunity belongs to, plus 'all'. -#}
with opportunities as (
    select * from {{ ref('fct_opportunities') }}
),

reps as (
    select * from {{ ref('dim_reps') }}
),

teams as (
    select * from {{ ref('stg_crm__teams') }}
),

partners as (
    select * from {{ ref('dim_partners') }}
),

labelled as (
    select
        opportunities.opportunity_id,
        coalesce(opportunities.owner_rep_id, 'unknown') as owner_value,
        coalesce(reps.rep_name, 'unknown') as owner_label,
        coalesce(opportunities.team_id, 'unknown') as team_value,
        coalesce(teams.team_name, 'unknown') as team_label,
        coalesce(opportunities.partner_id, 'direct') as partner_value,
        case
            when opportunities.partner_id is null then 'direct'
            else coalesce(partners.partner_name, 'unknown')
        end as partner_label,
        opportunities.lead_source,
        opportunities.channel_group,
        opportunities.product_family,
        opportunities.region,
        opportunities.customer_type
    from opportunities
    left join reps
        on opportunities.owner_rep_id = reps.rep_id
    left join teams
        on opportunities.team_id = teams.team_id
    left join partners
        on opportunities.partner_id = partners.partner_id
),

unpivoted as (
    select
        opportunity_id,
        'all' as dimension_name,
        'all' as dimension_value,
        'all' as dimension_label
    from labelled
    union all
    select
        opportunity_id,
        'owner' as dimension_name,
        owner_value as dimension_value,
        owner_label as dimension_label
    from labelled
    union all
    select
        opportunity_id,
        'team' as dimension_name,
        team_value as dimension_value,
        team_label as dimension_label
    from labelled
    union all
    select
        opportunity_id,
        'partner' as dimension_name,
        partner_value as dimension_value,
        partner_label as dimension_label
    from labelled
    union all
    select
        opportunity_id,
        'lead_source' as dimension_name,
        lead_source as dimension_value,
        lead_source as dimension_label
    from labelled
    union all
    select
        opportunity_id,
        'channel_group' as dimension_name,
        channel_group as dimension_value,
        channel_group as dimension_label
    from labelled
    union all
    select
        opportunity_id,
        'product_family' as dimension_name,
        product_family as dimension_value,
        product_family as dimension_label
    from labelled
    union all
    select
        opportunity_id,
        'region' as dimension_name,
        region as dimension_value,
        region as dimension_label
    from labelled
    union all
    select
        opportunity_id,
        'customer_type' as dimension_name,
        customer_type as dimension_value,
        customer_type as dimension_label
    from labelled
),

final as (
    select
        opportunity_id,
        dimension_name,
        dimension_value,
        dimension_label
    from unpivoted
)

select * from final
