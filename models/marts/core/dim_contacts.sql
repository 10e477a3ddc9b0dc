{#- No raw personal data: email and phone only as salted hashes (pii_hash),
    names left out. -#}
with contacts as (
    select * from {{ ref('stg_crm__contacts') }}
),

final as (
    select
        contact_id,
        account_id,
        case when email is not null then {{ pii_hash('email') }} end as email_hash,
        case when phone is not null then {{ pii_hash('phone') }} end as phone_hash,
        is_valid_email,
        is_valid_phone,
        title,
        created_at
    from contacts
)

select * from final
