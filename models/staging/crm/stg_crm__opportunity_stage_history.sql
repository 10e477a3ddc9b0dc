with source as (
    {{ latest_versions(source('crm', 'opportunity_stage_history'), 'stage_history_id') }}
),

stages as (
    select * from {{ ref('stg_reference__stages') }}
),

-- the history carries no currency: amounts are in the opportunity's currency
opportunities as (
    select
        opportunity_id,
        currency_code
    from {{ ref('stg_crm__opportunities') }}
),

renamed as (
    select
        ---------- ids
        stage_history_id,
        opportunity_id,
        changed_by_rep_id,
        ---------- strings
        {{ map_through_seed('stage_name') }} as raw_stage_name,
        ---------- numerics
        cast(amount as decimal(18, 2)) as amount_local,
        ---------- dates and timestamps
        {{ to_utc_timestamp('entered_at') }} as entered_at,
        _loaded_at as loaded_at
    from source
),

final as (
    select
        renamed.stage_history_id,
        renamed.opportunity_id,
        stages.stage_name,
        stages.stage_order,
        stages.default_probability as stage_probability,
        stages.is_closed,
        stages.is_won,
        renamed.raw_stage_name,
        renamed.amount_local,
        opportunities.currency_code,
        exchange_rates.exchange_rate,
        {{ convert_currency('renamed.amount_local', 'exchange_rates.exchange_rate') }} as amount,
        renamed.changed_by_rep_id,
        renamed.entered_at,
        renamed.loaded_at
    from renamed
    left join stages
        on renamed.raw_stage_name = stages.raw_stage_name
    left join opportunities
        on renamed.opportunity_id = opportunities.opportunity_id
    {{ join_exchange_rate('opportunities.currency_code', 'cast(renamed.entered_at as date)') }}
)

select * from final
