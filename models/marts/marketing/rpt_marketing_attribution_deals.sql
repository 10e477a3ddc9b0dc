{#- T1: each won deal's revenue credited to the campaigns that touched it,
    under five attribution models (first_touch, last_touch, linear,
    u_shaped, w_shaped): one row per won deal x campaign x model. A won deal
    without any touch gets one row per model with campaign_id null, channel
    'unattributed' and all of its revenue, so it is reported, not dropped.
    Credits are rounded to the cent touch by touch and the deal's last touch
    takes the rest, so a deal's credits sum exactly to its revenue. See doc
    marketing_attribution_rules. -#}
with won_deals as (
    select
        opportunity_id,
        amount as won_revenue,
        closed_at as won_at,
        closed_month_start_date as won_month_start_date
    from {{ ref('fct_opportunities') }}
    where is_won and closed_at is not null
),

touches as (
    select * from {{ ref('int_marketing_won_deal_touches') }}
),

campaigns as (
    select
        campaign_id,
        coalesce(channel, 'unknown') as channel
    from {{ ref('dim_campaigns') }}
),

attribution_models as (
    select 'first_touch' as attribution_model
    union all
    select 'last_touch' as attribution_model
    union all
    select 'linear' as attribution_model
    union all
    select 'u_shaped' as attribution_model
    union all
    select 'w_shaped' as attribution_model
),

touch_shares as (
    select
        touches.opportunity_id,
        touches.campaign_id,
        touches.touch_number,
        touches.touch_count,
        attribution_models.attribution_model,
        case attribution_models.attribution_model
            when 'first_touch' then touches.first_touch_share
            when 'last_touch' then touches.last_touch_share
            when 'linear' then touches.linear_share
            when 'u_shaped' then touches.u_shaped_share
            when 'w_shaped' then touches.w_shaped_share
        end as credit_share
    from touches
    cross join attribution_models
),

rounded as (
    select
        touch_shares.*,
        won_deals.won_revenue,
        case
            when touch_shares.touch_number < touch_shares.touch_count
                -- round() of a double is DuckDB's and Spark's, not PostgreSQL's: a decimal first
                then cast(
                    round(cast(won_deals.won_revenue * touch_shares.credit_share as decimal(28, 10)), 2)
                    as decimal(18, 2)
                )
        end as rounded_credit
    from touch_shares
    inner join won_deals
        on touch_shares.opportunity_id = won_deals.opportunity_id
),

touch_credits as (
    -- the last touch takes what the rounding of the others left
    select
        *,
        case
            when touch_number = touch_count
                then won_revenue - coalesce(sum(rounded_credit) over (
                    partition by opportunity_id, attribution_model
                ), 0)
            else rounded_credit
        end as credited_revenue
    from rounded
),

campaign_credits as (
    select
        opportunity_id,
        attribution_model,
        campaign_id,
        true as is_attributed,
        count(*) as campaign_touches,
        max(touch_count) as deal_touches,
        sum(credit_share) as credit_share,
        sum(credited_revenue) as credited_revenue
    from touch_credits
    group by opportunity_id, attribution_model, campaign_id
),

unattributed as (
    select
        won_deals.opportunity_id,
        attribution_models.attribution_model,
        cast(null as {{ dbt.type_string() }}) as campaign_id,
        false as is_attributed,
        0 as campaign_touches,
        0 as deal_touches,
        1 as credit_share,
        won_deals.won_revenue as credited_revenue
    from won_deals
    cross join attribution_models
    where won_deals.opportunity_id not in (select touches.opportunity_id from touches)
),

credits as (
    select * from campaign_credits
    union all
    select * from unattributed
),

final as (
    select
        credits.opportunity_id || '|' || credits.attribution_model || '|'
        || coalesce(credits.campaign_id, 'unattributed') as attribution_key,
        credits.opportunity_id,
        credits.attribution_model,
        credits.campaign_id,
        case when credits.is_attributed then coalesce(campaigns.channel, 'unknown') else 'unattributed' end
            as channel,
        credits.is_attributed,
        won_deals.won_at,
        won_deals.won_month_start_date,
        cast(credits.campaign_touches as integer) as campaign_touches,
        cast(credits.deal_touches as integer) as deal_touches,
        cast(round(cast(credits.credit_share as decimal(28, 10)), 6) as decimal(18, 6)) as credit_share,
        won_deals.won_revenue,
        cast(credits.credited_revenue as decimal(18, 2)) as credited_revenue
    from credits
    inner join won_deals
        on credits.opportunity_id = won_deals.opportunity_id
    left join campaigns
        on credits.campaign_id = campaigns.campaign_id
)

select * from final
