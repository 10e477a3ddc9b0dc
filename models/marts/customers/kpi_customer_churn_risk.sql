{#- One row per account that has ever been an active customer
    (int_customer_periods_merged): churn-risk signals in the 90 days up to
    the as-of date (complaints, contract questions, cancellation requests,
    repeated contacts) and a score from 0 to 100 (C8). -#}
with periods as (
    select * from {{ ref('int_customer_periods_merged') }}
),

cases as (
    select * from {{ ref('stg_crm__support_cases') }}
),

activities as (
    select * from {{ ref('stg_crm__activities') }}
),

as_of as (
    select * from {{ ref('int_as_of_date') }}
),

window_bounds as (
    select
        as_of_date,
        cast({{ dbt.dateadd('day', -90, 'as_of_date') }} as date) as window_start_exclusive_date
    from as_of
),

customers as (
    select
        periods.account_id,
        max(
            case
                when
                    periods.period_start_date <= window_bounds.as_of_date
                    and periods.period_end_date >= window_bounds.as_of_date
                    then 1
                else 0
            end
        ) as active_at_as_of
    from periods
    cross join window_bounds
    group by periods.account_id
),

contacts as (
    {#- A contact: a support case opened, or an inbound service activity not
        logged on a case (the calls and emails of a case are its handling). -#}
    select
        account_id,
        cast(opened_at as date) as contact_date,
        opened_at as contacted_at,
        case_id as contact_id
    from cases
    where account_id is not null

    union all

    select
        account_id,
        cast(coalesce(completed_at, created_at) as date) as contact_date,
        coalesce(completed_at, created_at) as contacted_at,
        activity_id as contact_id
    from activities
    where
        account_id is not null
        and purpose = 'service'
        and direction = 'inbound'
        and case_id is null
),

sequenced_contacts as (
    select
        contacts.account_id,
        contacts.contact_date,
        lag(contacts.contact_date) over (
            partition by contacts.account_id
            order by contacts.contacted_at, contacts.contact_id
        ) as previous_contact_date
    from contacts
    cross join window_bounds
    where contacts.contact_date <= window_bounds.as_of_date
),

contact_gaps as (
    select
        account_id,
        contact_date,
        {{ finance__datediff_days('previous_contact_date', 'contact_date') }} as days_since_previous_contact
    from sequenced_contacts
),

contact_signals as (
    select
        contact_gaps.account_id,
        count(*) as service_contacts,
        sum(case when contact_gaps.days_since_previous_contact <= 7 then 1 else 0 end) as repeat_service_contacts
    from contact_gaps
    cross join window_bounds
    where contact_gaps.contact_date > window_bounds.window_start_exclusive_date
    group by contact_gaps.account_id
),

case_signals as (
    select
        cases.account_id,
        sum(case when cases.case_type = 'complaint' then 1 else 0 end) as complaints,
        sum(case when cases.case_type = 'contract_question' then 1 else 0 end) as contract_questions,
        sum(case when cases.case_type = 'cancellation_request' then 1 else 0 end) as cancellation_requests
    from cases
    cross join window_bounds
    where
        cast(cases.opened_at as date) > window_bounds.window_start_exclusive_date
        and cast(cases.opened_at as date) <= window_bounds.as_of_date
    group by cases.account_id
),

combined as (
    select
        customers.account_id,
        customers.active_at_as_of = 1 as is_active_customer,
        cast({{ coalesce_if_present('support_cases', 'case_signals.complaints') }} as integer) as complaints,
        cast({{ coalesce_if_present('support_cases', 'case_signals.contract_questions') }} as integer)
            as contract_questions,
        cast({{ coalesce_if_present('support_cases', 'case_signals.cancellation_requests') }} as integer)
            as cancellation_requests,
        cast({{ coalesce_if_present('activities', 'contact_signals.service_contacts') }} as integer)
            as service_contacts,
        cast({{ coalesce_if_present('activities', 'contact_signals.repeat_service_contacts') }} as integer)
            as repeat_service_contacts
    from customers
    left join case_signals
        on customers.account_id = case_signals.account_id
    left join contact_signals
        on customers.account_id = contact_signals.account_id
),

scored as (
    select
        *,
        cast(
            least(
                100,
                case when cancellation_requests > 0 then 40 else 0 end
                + 20 * least(complaints, 2)
                + case when contract_questions > 0 then 15 else 0 end
                + 10 * least(repeat_service_contacts, 3)
            ) as integer
        ) as churn_risk_score
    from combined
),

final as (
    select
        *,
        case
            when churn_risk_score >= 50 then 'high'
            when churn_risk_score >= 20 then 'medium'
            when churn_risk_score > 0 then 'low'
            else 'none'
        end as churn_risk_level,
        churn_risk_score > 0 as has_churn_signal
    from scored
)

select * from final
