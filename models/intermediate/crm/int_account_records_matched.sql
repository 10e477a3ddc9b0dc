{#- Identity of an account across leads, contacts and orders. -#}
with accounts as (
    select
        account_id,
        lower(trim(account_name)) as account_name_key
    from {{ ref('stg_crm__accounts') }}
),

contacts as (
    select * from {{ ref('stg_crm__contacts') }}
),

leads as (
    select * from {{ ref('int_leads_mapped') }}
),

orders as (
    select * from {{ ref('int_orders_converted') }}
),

-- accounts whose normalised name is unique, so a company name can identify them
unique_account_names as (
    select
        account_name_key,
        min(account_id) as account_id
    from accounts
    group by account_name_key
    having count(*) = 1
),

-- the first-created contact (with a known account) of each valid email
contact_emails as (
    select
        email,
        contact_id,
        account_id
    from (
        select
            contacts.email,
            contacts.contact_id,
            contacts.account_id,
            row_number() over (
                partition by contacts.email
                order by contacts.created_at, contacts.contact_id
            ) as email_rank
        from contacts
        inner join accounts
            on contacts.account_id = accounts.account_id
        where contacts.is_valid_email
    ) as ranked
    where email_rank = 1
),

lead_matches as (
    select
        'lead' as record_type,
        leads.lead_id as record_id,
        coalesce(
            converted_accounts.account_id,
            contact_emails.account_id,
            unique_account_names.account_id
        ) as account_id,
        case
            when converted_accounts.account_id is not null then leads.converted_contact_id
            else contact_emails.contact_id
        end as contact_id,
        leads.email,
        case
            when converted_accounts.account_id is not null then 'converted'
            when contact_emails.account_id is not null then 'contact_email'
            when unique_account_names.account_id is not null then 'company_name'
            else 'unmatched'
        end as match_method,
        leads.created_at as record_at
    from leads
    left join accounts as converted_accounts
        on leads.converted_account_id = converted_accounts.account_id
    left join contact_emails
        on
            leads.email = contact_emails.email
            and leads.is_valid_email
    left join unique_account_names
        on lower(trim(leads.company_name)) = unique_account_names.account_name_key
),

contact_matches as (
    select
        'contact' as record_type,
        contacts.contact_id as record_id,
        accounts.account_id,
        contacts.contact_id,
        contacts.email,
        case when accounts.account_id is not null then 'account_id' else 'unmatched' end as match_method,
        contacts.created_at as record_at
    from contacts
    left join accounts
        on contacts.account_id = accounts.account_id
),

order_matches as (
    select
        'order' as record_type,
        orders.order_id as record_id,
        accounts.account_id,
        cast(null as {{ dbt.type_string() }}) as contact_id,
        cast(null as {{ dbt.type_string() }}) as email,
        case when accounts.account_id is not null then 'account_id' else 'unmatched' end as match_method,
        orders.ordered_at as record_at
    from orders
    left join accounts
        on orders.account_id = accounts.account_id
),

unioned as (
    select * from lead_matches
    union all
    select * from contact_matches
    union all
    select * from order_matches
),

final as (
    select
        record_type || ':' || record_id as record_key,
        record_type,
        record_id,
        account_id,
        contact_id,
        email,
        match_method,
        record_at
    from unioned
)

select * from final
