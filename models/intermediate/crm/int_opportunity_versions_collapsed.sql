{#- The type-2 history of every opportunity (KPI H1), from the versions the
    loader landed: the warehouse's own snapshot, taken at every load.
    A landed row is the opportunity's state from its version time until the
    next state. The version time is the CRM's updated_at (when the CRM
    changed the record) when the row advanced it past the version before,
    but never later than the row's load time (when the warehouse received
    it); when updated_at did not advance (an export that stamps a fixed
    time) it is the load time. A row landed after a newer version
    (an older export re-landed) changes nothing. Consecutive states with
    the same tracked attributes (stage, amount, currency, expected close,
    close time, owner, forecast category) are one version; a soft delete
    ends the last version and starts none (macro versions_collapsed_ctes,
    shared with int_account_versions_collapsed). The amount converts as
    int_opportunities_converted converts it (a closed version at its close
    date, an open one at creation), so a version's amount changes only when
    its amount or currency does. -#}
{%- set tracked = [
    'raw_stage_name', 'amount_local', 'currency_code', 'expected_close_date',
    'closed_at', 'owner_rep_id', 'forecast_category', 'is_deleted',
] %}
with versions as (
    select * from {{ ref('stg_crm__opportunity_versions') }}
),

stages as (
    select * from {{ ref('stg_reference__stages') }}
),

{{ versions_collapsed_ctes('opportunity_id', tracked) }},

final as (
    select
        held.opportunity_id || '-v' || cast(held.version_number as {{ dbt.type_string() }})
            as opportunity_version_id,
        held.opportunity_id,
        cast(held.version_number as integer) as version_number,
        held.owner_rep_id,
        stages.stage_name,
        stages.stage_order,
        stages.default_probability as stage_probability,
        stages.is_closed,
        stages.is_won,
        held.raw_stage_name,
        -- Salesforce's 'Best Case' and HubSpot's 'Best case' are best_case
        {{ normalize_forecast_category('held.forecast_category') }} as forecast_category,
        held.amount_local,
        held.currency_code,
        exchange_rates.exchange_rate,
        {{ convert_currency('held.amount_local', 'exchange_rates.exchange_rate') }} as amount,
        held.created_at,
        held.expected_close_date,
        held.closed_at,
        held.updated_at,
        held.loaded_at,
        held.version_at as valid_from_at,
        held.next_version_at as valid_to_at,
        held.next_version_at is null as is_current_version
    from held
    left join stages
        on held.raw_stage_name = stages.raw_stage_name
    {{ join_exchange_rate('held.currency_code', 'cast(coalesce(held.closed_at, held.created_at) as date)') }}
)

select * from final
