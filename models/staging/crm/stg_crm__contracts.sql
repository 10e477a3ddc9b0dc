with source as (
    select * from {{ ref('base_crm__contracts') }}
    where is_latest_version and not is_deleted_version
),

renamed as (
    select
        ---------- ids
        contract_id,
        account_id,
        order_id,
        renewal_of_contract_id,
        ---------- strings
        status,
        upper(trim(currency_code)) as currency_code,
        ---------- numerics
        cast(contract_value as decimal(18, 2)) as contract_value_local,
        ---------- dates and timestamps
        start_date,
        end_date,
        {{ to_utc_timestamp('signed_at') }} as signed_at,
        {{ to_utc_timestamp('updated_at') }} as updated_at,
        _loaded_at as loaded_at
    from source
)

select * from renamed
