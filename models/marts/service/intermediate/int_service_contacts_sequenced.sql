{#- One row per customer contact with the service: a support case opened, or
    an inbound service activity not logged on a case (calls and emails of a
    case are its handling, not new contacts); abandoned calls count (the
    customer tried). The customer is the account, else the contact person
    (exports without accounts). Each contact carries the customer's previous
    contact and whether it came within 7 days of it (V6; same rule as C8). -#}
with cases as (
    select * from {{ ref('fct_cases') }}
),

activities as (
    select * from {{ ref('fct_activities') }}
),

contacts as (
    select
        'case' as contact_source,
        case_id as contact_record_id,
        account_id,
        contact_id,
        opened_at as contacted_at
    from cases

    union all

    select
        'activity' as contact_source,
        activity_id as contact_record_id,
        account_id,
        contact_id,
        activity_at as contacted_at
    from activities
    where
        purpose = 'service'
        and direction = 'inbound'
        and case_id is null
        and coalesce(outcome, 'none') != 'cancelled'
),

keyed as (
    select
        *,
        case
            when account_id is not null then 'account:' || account_id
            when contact_id is not null then 'contact:' || contact_id
        end as customer_key,
        cast(contacted_at as date) as contact_date
    from contacts
    where
        contacted_at is not null
        and coalesce(account_id, contact_id) is not null
),

sequenced as (
    select
        *,
        lag(contact_date) over (
            partition by customer_key
            order by contacted_at, contact_source, contact_record_id
        ) as previous_contact_date
    from keyed
),

gaps as (
    select
        *,
        cast(
            {{ dbt.datediff('previous_contact_date', 'contact_date', 'day') }}
            as integer
        ) as days_since_previous_contact
    from sequenced
),

final as (
    select
        contact_source,
        contact_record_id,
        customer_key,
        account_id,
        contact_id,
        contacted_at,
        contact_date,
        cast({{ dbt.date_trunc('month', 'contact_date') }} as date) as contact_month_start_date,
        previous_contact_date,
        days_since_previous_contact,
        coalesce(days_since_previous_contact <= 7, false) as is_repeat_contact
    from gaps
)

select * from final
