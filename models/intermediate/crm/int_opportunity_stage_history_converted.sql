{#- Stage history entries with the canonical stage of the stages seed and the
    amount converted at the date the stage was entered. The history carries
    no currency: its amounts are in the opportunity's currency. -#}
with staged as (
    select * from {{ ref('stg_crm__opportunity_stage_history') }}
),

stages as (
    select * from {{ ref('stg_reference__stages') }}
),

opportunities as (
    select
        opportunity_id,
        currency_code
    from {{ ref('stg_crm__opportunities') }}
),

final as (
    select
        staged.stage_history_id,
        staged.opportunity_id,
        stages.stage_name,
        stages.stage_order,
        stages.default_probability as stage_probability,
        stages.is_closed,
        stages.is_won,
        staged.raw_stage_name,
        staged.amount_local,
        opportunities.currency_code,
        exchange_rates.exchange_rate,
        {{ convert_currency('staged.amount_local', 'exchange_rates.exchange_rate') }} as amount,
        staged.changed_by_rep_id,
        staged.entered_at,
        staged.loaded_at
    from staged
    left join stages
        on staged.raw_stage_name = stages.raw_stage_name
    left join opportunities
        on staged.opportunity_id = opportunities.opportunity_id
    {{ join_exchange_rate('opportunities.currency_code', 'cast(staged.entered_at as date)') }}
)

select * from final
