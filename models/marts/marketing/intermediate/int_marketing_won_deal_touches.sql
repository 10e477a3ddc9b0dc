{#- T1: every campaign touch of every won deal, with its position and its
    share of the deal under each attribution model. A touch is a campaign
    membership (stg_crm__campaign_members) of the deal's lead (the member's
    lead resolved through duplicate submissions) or of any contact of the
    deal's account (dim_contacts), dated when the person was added to the
    campaign (added_at), at or before the deal was won (closed_at); later
    ones are left out. Touches are ordered by added_at, ties broken by
    campaign_id then campaign_member_id. See doc marketing_attribution_rules. -#}
with won_deals as (
    select
        opportunity_id,
        lead_id,
        account_id,
        created_at,
        closed_at
    from {{ ref('fct_opportunities') }}
    where is_won and closed_at is not null
),

campaign_members as (
    select * from {{ ref('stg_crm__campaign_members') }}
),

lead_submissions as (
    select
        lead_id,
        resolved_lead_id
    from {{ ref('int_lead_submissions_resolved') }}
),

contacts as (
    select
        contact_id,
        account_id
    from {{ ref('dim_contacts') }}
),

members as (
    select
        campaign_members.campaign_member_id,
        campaign_members.campaign_id,
        coalesce(lead_submissions.resolved_lead_id, campaign_members.lead_id) as lead_id,
        campaign_members.contact_id,
        campaign_members.added_at as touched_at
    from campaign_members
    left join lead_submissions
        on campaign_members.lead_id = lead_submissions.lead_id
    where campaign_members.added_at is not null
),

lead_touches as (
    select
        won_deals.opportunity_id,
        won_deals.created_at,
        members.campaign_member_id,
        members.campaign_id,
        'lead' as touched_person_type,
        members.touched_at
    from won_deals
    inner join members
        on won_deals.lead_id = members.lead_id
    where members.touched_at <= won_deals.closed_at
),

contact_touches as (
    select
        won_deals.opportunity_id,
        won_deals.created_at,
        members.campaign_member_id,
        members.campaign_id,
        'contact' as touched_person_type,
        members.touched_at
    from won_deals
    inner join contacts
        on won_deals.account_id = contacts.account_id
    inner join members
        on contacts.contact_id = members.contact_id
    where members.touched_at <= won_deals.closed_at
),

touches as (
    select * from lead_touches
    union all
    select * from contact_touches
),

numbered as (
    select
        *,
        row_number() over (
            partition by opportunity_id
            order by touched_at, campaign_id, campaign_member_id
        ) as touch_number,
        count(*) over (partition by opportunity_id) as touch_count
    from touches
),

positioned as (
    -- the opportunity-creation touch: the last touch at or before the deal's
    -- creation; when every touch came later, the first touch
    select
        *,
        coalesce(
            max(case when touched_at <= created_at then touch_number end) over (partition by opportunity_id),
            1
        ) as creation_touch_number
    from numbered
),

w_weighted as (
    select
        *,
        -- W-shaped, 3 touches or more: 0.3 for each of the first, creation and
        -- last positions (a touch holding two gets 0.6); the other 0.1 spread
        -- over the touches holding none, or over all when every touch holds one
        case when touch_number = 1 then 0.3 else 0 end
        + case when touch_number = creation_touch_number then 0.3 else 0 end
        + case when touch_number = touch_count then 0.3 else 0 end as w_position_weight,
        touch_count
        - case when creation_touch_number in (1, touch_count) then 2 else 3 end as w_unpositioned_touches
    from positioned
),

final as (
    select
        opportunity_id,
        campaign_member_id,
        campaign_id,
        touched_person_type,
        touched_at,
        cast(touch_number as integer) as touch_number,
        cast(touch_count as integer) as touch_count,
        touch_number = creation_touch_number as is_creation_touch,
        cast(case when touch_number = 1 then 1 else 0 end as {{ type_double() }}) as first_touch_share,
        cast(case when touch_number = touch_count then 1 else 0 end as {{ type_double() }}) as last_touch_share,
        cast(1 as {{ type_double() }}) / touch_count as linear_share,
        case
            when touch_count <= 2 then cast(1 as {{ type_double() }}) / touch_count
            when touch_number in (1, touch_count) then cast(0.4 as {{ type_double() }})
            else cast(0.2 as {{ type_double() }}) / (touch_count - 2)
        end as u_shaped_share,
        case
            when touch_count <= 2 then cast(1 as {{ type_double() }}) / touch_count
            when w_unpositioned_touches = 0 then cast(w_position_weight as {{ type_double() }}) + 0.1 / touch_count
            when w_position_weight = 0 then cast(0.1 as {{ type_double() }}) / w_unpositioned_touches
            else cast(w_position_weight as {{ type_double() }})
        end as w_shaped_share
    from w_weighted
)

select * from final
