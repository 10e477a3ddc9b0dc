with source as (
    select * from {{ ref('base_crm__partners') }}
    where is_latest_version and not is_deleted_version
),

renamed as (
    select
        ---------- ids
        partner_id,
        partner_manager_rep_id,
        ---------- strings
        {{ clean_text('partner_name') }} as partner_name,
        partner_tier,
        partner_type,
        {{ clean_text('region') }} as region,
        ---------- dates and timestamps
        joined_date,
        {{ to_utc_timestamp('updated_at') }} as updated_at,
        _loaded_at as loaded_at
    from source
)

select * from renamed
