{#- One row per subscribe or unsubscribe event of an email list. Append-only,
    so incremental like fct_web_sessions: the events loaded since the newest
    held minus a lookback window, upserted on event_id. The subscriber's email
    only as a hash. -#}
{{ config(
    materialized='incremental',
    unique_key='event_id',
    incremental_strategy=events_incremental_strategy(),
    on_schema_change='append_new_columns',
) }}

with list_events as (
    select * from {{ ref('stg_crm__email_list_events') }}
),

changed as (
    select * from list_events
    {{ events_incremental_filter('event_id', 'list_events.loaded_at') }}
),

final as (
    select
        ---------- ids
        event_id,
        list_id,
        case when subscriber_email is not null then {{ pii_hash('subscriber_email') }} end
            as subscriber_email_hash,
        ---------- attributes
        event_type,
        event_type = 'subscribe' as is_subscribe,
        event_type = 'unsubscribe' as is_unsubscribe,
        is_valid_email,
        ---------- timestamps and dates
        occurred_at,
        cast(occurred_at as date) as occurred_date,
        cast({{ dbt.date_trunc('month', 'occurred_at') }} as date) as occurred_month_start_date,
        loaded_at
    from changed
)

select * from final
