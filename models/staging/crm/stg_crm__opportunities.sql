with source as (
    select * from {{ ref('base_crm__opportunities') }}
    where is_latest_version and not is_deleted_version
),

renamed as (
    select
        ---------- ids
        opportunity_id,
        account_id,
        owner_rep_id,
        partner_id,
        campaign_id,
        lead_id,
        product_id,
        ---------- strings
        {{ clean_text('opportunity_name') }} as opportunity_name,
        opportunity_type,
        {{ map_through_seed('stage_name') }} as raw_stage_name,
        upper(trim(currency_code)) as currency_code,
        {{ clean_text('win_reason') }} as win_reason,
        {{ clean_text('loss_reason') }} as loss_reason,
        ---------- numerics
        cast(amount as decimal(18, 2)) as amount_local,
        ---------- dates and timestamps
        {{ to_utc_timestamp('created_at') }} as created_at,
        expected_close_date,
        {{ to_utc_timestamp('closed_at') }} as closed_at,
        {{ to_utc_timestamp('updated_at') }} as updated_at,
        _loaded_at as loaded_at
    from source
)

select * from renamed
