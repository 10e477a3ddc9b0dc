{#- Opportunities with the canonical stage of the stages seed (order,
    default probability, closed and won flags) and the amount converted to
    the reporting currency: a closed deal at its close date, an open one at
    its creation. -#}
with staged as (
    select * from {{ ref('stg_crm__opportunities') }}
),

stages as (
    select * from {{ ref('stg_reference__stages') }}
),

with_conversion_date as (
    select
        *,
        -- a closed deal converts at its close date, an open one at creation
        cast(coalesce(closed_at, created_at) as date) as conversion_date
    from staged
),

final as (
    select
        with_conversion_date.opportunity_id,
        with_conversion_date.opportunity_name,
        with_conversion_date.account_id,
        with_conversion_date.owner_rep_id,
        with_conversion_date.partner_id,
        with_conversion_date.campaign_id,
        with_conversion_date.lead_id,
        with_conversion_date.product_id,
        with_conversion_date.opportunity_type,
        stages.stage_name,
        stages.stage_order,
        stages.default_probability as stage_probability,
        stages.is_closed,
        stages.is_won,
        with_conversion_date.raw_stage_name,
        with_conversion_date.amount_local,
        with_conversion_date.currency_code,
        exchange_rates.exchange_rate,
        with_conversion_date.conversion_date,
        {{ exchange_rate_coverage() }} as exchange_rate_coverage,
        {{ convert_currency('with_conversion_date.amount_local', 'exchange_rates.exchange_rate') }} as amount,
        with_conversion_date.created_at,
        with_conversion_date.expected_close_date,
        with_conversion_date.closed_at,
        with_conversion_date.win_reason,
        with_conversion_date.loss_reason,
        with_conversion_date.updated_at,
        with_conversion_date.loaded_at
    from with_conversion_date
    left join stages
        on with_conversion_date.raw_stage_name = stages.raw_stage_name
    {{ join_exchange_rate('with_conversion_date.currency_code', 'with_conversion_date.conversion_date') }}
)

select * from final
