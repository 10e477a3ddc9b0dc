with source as (
    {{ latest_versions(source('crm', 'contracts'), 'contract_id', 'updated_at', 'is_deleted') }}
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
),

final as (
    select
        renamed.contract_id,
        renamed.account_id,
        renamed.order_id,
        renamed.renewal_of_contract_id,
        renamed.status,
        renamed.contract_value_local,
        renamed.currency_code,
        exchange_rates.exchange_rate,
        renamed.start_date as conversion_date,
        {{ exchange_rate_coverage() }} as exchange_rate_coverage,
        {{ convert_currency('renamed.contract_value_local', 'exchange_rates.exchange_rate') }} as contract_value,
        renamed.start_date,
        renamed.end_date,
        renamed.signed_at,
        renamed.updated_at,
        renamed.loaded_at
    from renamed
    {{ join_exchange_rate('renamed.currency_code', 'renamed.start_date') }}
)

select * from final
