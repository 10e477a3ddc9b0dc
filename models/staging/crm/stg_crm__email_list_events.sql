with source as (
    select * from {{ ref('base_crm__email_list_events') }}
    where is_latest_version and not is_deleted_version
),

renamed as (
    select
        ---------- ids
        event_id,
        {{ clean_text('list_id') }} as list_id,
        ---------- strings
        {{ normalize_email('subscriber_email') }} as subscriber_email,
        event_type,
        ---------- dates and timestamps
        {{ to_utc_timestamp('occurred_at') }} as occurred_at,
        _loaded_at as loaded_at
    from source
),

final as (
    select
        *,
        ---------- booleans
        {{ is_valid_email('subscriber_email') }} as is_valid_email
    from renamed
)

select * from final
