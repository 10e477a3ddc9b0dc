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
    ends the last version and starts none. The amount converts as
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

-- rows landed after a newer version of their key change nothing
ordered as (
    select
        *,
        max(updated_at) over (
            partition by opportunity_id
            order by loaded_at, source_file, source_row
            rows between unbounded preceding and 1 preceding
        ) as earlier_max_updated_at
    from versions
),

effective as (
    select
        *,
        lag(updated_at) over (
            partition by opportunity_id
            order by loaded_at, source_file, source_row
        ) as previous_updated_at
    from ordered
    where earlier_max_updated_at is null or updated_at >= earlier_max_updated_at
),

-- the CRM's time when it advanced (never after the load), else the load's
dated as (
    select
        *,
        case
            when previous_updated_at is not null and updated_at <= previous_updated_at then loaded_at
            when updated_at < loaded_at then updated_at
            else loaded_at
        end as version_at
    from effective
),

compared as (
    select
        *,
        {%- for column in tracked %}
            lag({{ column }}) over (
                partition by opportunity_id
                order by version_at, loaded_at, source_file, source_row
            ) as previous_{{ column }},
        {%- endfor %}
        row_number() over (
            partition by opportunity_id
            order by version_at, loaded_at, source_file, source_row
        ) as effective_row_number
    from dated
),

changes as (
    select
        *,
        lead(version_at) over (
            partition by opportunity_id
            order by version_at, loaded_at, source_file, source_row
        ) as next_version_at
    from compared
    where
        effective_row_number = 1
        {%- for column in tracked %}
            or {{ is_distinct(column, 'previous_' ~ column) }}
        {%- endfor %}
),

-- a state replaced within the same instant never held; a deletion holds no state
held as (
    select
        *,
        row_number() over (
            partition by opportunity_id
            order by version_at, loaded_at, source_file, source_row
        ) as version_number
    from changes
    where
        not is_deleted
        and (next_version_at is null or next_version_at > version_at)
),

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
