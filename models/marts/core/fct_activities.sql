{#- One row per activity (call, email, meeting, task): the largest table, so
    incremental. A run takes the staging rows loaded or changed since the
    newest ones it holds, minus a lookback window (var
    activities_lookback_hours, default 72) for late rows, and upserts them on
    activity_id; a post-hook deletes the activities staging no longer has
    (soft deletes). Strategy per adapter: macro activity_incremental_strategy. -#}
{%- set strategy = activity_incremental_strategy() -%}
{%- set lookback_hours = var('activities_lookback_hours', 72) | int -%}

{{ config(
    materialized='incremental',
    unique_key='activity_id',
    incremental_strategy=strategy,
    on_schema_change='append_new_columns',
    post_hook=["{{ activity_delete_vanished_keys('activity_id', ref('stg_crm__activities')) }}"],
) }}

with activities as (
    select * from {{ ref('stg_crm__activities') }}
),

{% if is_incremental() %}
watermark as (
    select
        cast({{ dbt.dateadd('hour', -lookback_hours, 'max(loaded_at)') }} as timestamp) as loaded_since,
        cast({{ dbt.dateadd('hour', -lookback_hours, 'max(updated_at)') }} as timestamp) as updated_since
    from {{ this }}
),
{% endif %}

changed as (
    select activities.*
    from activities
    {% if is_incremental() %}
        cross join watermark
        where
            (
                watermark.loaded_since is null
                or activities.loaded_at >= watermark.loaded_since
                or activities.updated_at >= watermark.updated_since
            )
            {% if strategy == 'append' %}
                and activities.activity_id not in (select held.activity_id from {{ this }} as held)
            {% endif %}
    {% endif %}
),

flagged as (
    select
        *,
        completed_at is not null and coalesce(outcome, 'none') != 'cancelled' as is_done,
        coalesce(account_id, contact_id, lead_id, opportunity_id, case_id) is not null as has_related_record
    from changed
),

final as (
    select
        ---------- ids
        activity_id,
        rep_id,
        account_id,
        contact_id,
        lead_id,
        opportunity_id,
        case_id,
        ---------- attributes
        activity_type,
        purpose,
        direction,
        outcome,
        ---------- durations
        queue_wait_seconds,
        talk_seconds,
        hold_seconds,
        wrap_seconds,
        cast(coalesce(talk_seconds, 0) + coalesce(hold_seconds, 0) + coalesce(wrap_seconds, 0) as integer)
            as handle_seconds,
        ---------- timestamps and dates
        scheduled_at,
        completed_at,
        created_at,
        coalesce(completed_at, scheduled_at, created_at) as activity_at,
        cast(coalesce(completed_at, scheduled_at, created_at) as date) as activity_date,
        cast(created_at as date) as created_date,
        ---------- flags
        is_done,
        activity_type = 'call' as is_call,
        is_done and activity_type = 'call' and purpose = 'sales' as is_sales_call,
        (is_done and activity_type = 'call' and purpose = 'service' and direction = 'inbound')
            as is_inbound_service_call,
        coalesce(outcome = 'connected', false) as is_connected,
        coalesce(outcome in ('no_answer', 'voicemail'), false) as is_unanswered,
        coalesce(outcome = 'abandoned', false) as is_abandoned,
        is_done and purpose = 'service' and coalesce(outcome, 'none') != 'abandoned' as is_service_interaction,
        subject is not null as has_subject,
        has_related_record,
        rep_id is not null
        and subject is not null
        and has_related_record
        and (completed_at is null or outcome is not null)
        and (activity_type not in ('call', 'email') or direction is not null) as has_required_fields,
        updated_at,
        loaded_at
    from flagged
)

select * from final
