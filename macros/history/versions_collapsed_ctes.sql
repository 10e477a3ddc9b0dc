{#- The CTEs that turn the landed versions of a CRM record (a CTE named
    `versions` with key_column, updated_at, loaded_at, source_file,
    source_row, is_deleted and the tracked columns) into its type-2 states,
    ending in the CTE `held`: one row per state, version_at to
    next_version_at, numbered by version_number. A landed row is the
    record's state from its version time until the next state; the version
    time is the CRM's updated_at when the row advanced it past the version
    before, never later than the load time, else the load time. A row landed
    after a newer version (an older export re-landed) changes nothing;
    consecutive rows with equal tracked columns are one state; a state
    replaced within the same instant never held; a soft delete ends the
    last state and starts none. Shared by int_opportunity_versions_collapsed
    and int_account_versions_collapsed (KPI H1). -#}
{% macro versions_collapsed_ctes(key_column, tracked) -%}
-- rows landed after a newer version of their key change nothing
ordered as (
    select
        *,
        max(updated_at) over (
            partition by {{ key_column }}
            order by loaded_at, source_file, source_row
            rows between unbounded preceding and 1 preceding
        ) as earlier_max_updated_at
    from versions
),

effective as (
    select
        *,
        lag(updated_at) over (
            partition by {{ key_column }}
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
                partition by {{ key_column }}
                order by version_at, loaded_at, source_file, source_row
            ) as previous_{{ column }},
        {%- endfor %}
        row_number() over (
            partition by {{ key_column }}
            order by version_at, loaded_at, source_file, source_row
        ) as effective_row_number
    from dated
),

changes as (
    select
        *,
        lead(version_at) over (
            partition by {{ key_column }}
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
            partition by {{ key_column }}
            order by version_at, loaded_at, source_file, source_row
        ) as version_number
    from changes
    where
        not is_deleted
        and (next_version_at is null or next_version_at > version_at)
)
{%- endmacro %}
