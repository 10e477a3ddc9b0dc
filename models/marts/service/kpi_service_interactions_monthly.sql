{#- Service interaction KPIs (V4, V6, V7, V9, V10), one row per month of the
    spine, from the activities and the customer contacts; zeros (and null
    ratios) for months without any, e.g. a source without activities. Events
    count up to the as-of date only. See doc service_interaction_rules. -#}
with activities as (
    select * from {{ ref('fct_activities') }}
),

contacts as (
    select * from {{ ref('int_service_contacts_sequenced') }}
),

months as (
    select * from {{ ref('int_months') }}
),

as_of as (
    select * from {{ ref('int_as_of_date') }}
),

dated_activities as (
    select
        activities.*,
        cast({{ dbt.date_trunc('month', 'activities.activity_date') }} as date) as activity_month_start_date
    from activities
    cross join as_of
    where
        activities.purpose = 'service'
        and activities.is_done
        and activities.activity_date <= as_of.as_of_date
),

inbound_calls as (
    select
        activity_month_start_date as month_start_date,
        count(*) as inbound_service_calls,
        sum(case when is_connected then 1 else 0 end) as answered_service_calls,
        sum(case when is_abandoned or is_unanswered then 1 else 0 end) as abandoned_service_calls,
        sum(case when is_connected then handle_seconds else 0 end) as answered_handle_seconds
    from dated_activities
    where is_inbound_service_call
    group by activity_month_start_date
),

interactions as (
    select
        activity_month_start_date as month_start_date,
        count(*) as service_interactions,
        sum(handle_seconds) as service_handle_seconds
    from dated_activities
    where is_service_interaction
    group by activity_month_start_date
),

contacting as (
    select
        contacts.contact_month_start_date as month_start_date,
        count(*) as customer_contacts,
        count(distinct contacts.customer_key) as customers_contacting,
        count(distinct case when contacts.is_repeat_contact then contacts.customer_key end)
            as repeat_contact_customers
    from contacts
    cross join as_of
    where contacts.contact_date <= as_of.as_of_date
    group by contacts.contact_month_start_date
),

period_days as (
    select
        months.month_start_date,
        months.is_as_of_month,
        months.days_in_month,
        {{ dbt.datediff('months.month_start_date', 'as_of.as_of_date', 'day') | trim }} + 1 as days_to_as_of
    from months
    cross join as_of
),

joined as (
    select
        months.month_start_date,
        case when months.is_as_of_month then months.days_to_as_of else months.days_in_month end as days_in_period,
        {{ coalesce_if_present('activities', 'inbound_calls.inbound_service_calls') }} as inbound_service_calls,
        {{ coalesce_if_present('activities', 'inbound_calls.answered_service_calls') }} as answered_service_calls,
        {{ coalesce_if_present('activities', 'inbound_calls.abandoned_service_calls') }} as abandoned_service_calls,
        {{ coalesce_if_present('activities', 'inbound_calls.answered_handle_seconds') }} as answered_handle_seconds,
        {{ coalesce_if_present('activities', 'interactions.service_interactions') }} as service_interactions,
        {{ coalesce_if_present('activities', 'interactions.service_handle_seconds') }} as service_handle_seconds,
        {{ coalesce_if_present('activities', 'contacting.customer_contacts') }} as customer_contacts,
        {{ coalesce_if_present('activities', 'contacting.customers_contacting') }} as customers_contacting,
        {{ coalesce_if_present('activities', 'contacting.repeat_contact_customers') }} as repeat_contact_customers
    from period_days as months
    left join inbound_calls
        on months.month_start_date = inbound_calls.month_start_date
    left join interactions
        on months.month_start_date = interactions.month_start_date
    left join contacting
        on months.month_start_date = contacting.month_start_date
),

final as (
    select
        month_start_date,
        cast(days_in_period as integer) as days_in_period,
        ---------- V4 service calls per day
        cast(inbound_service_calls as integer) as inbound_service_calls,
        {{ safe_divide('inbound_service_calls', 'days_in_period', 'decimal(18,2)') }} as service_calls_per_day,
        ---------- V9 abandoned calls
        cast(answered_service_calls as integer) as answered_service_calls,
        cast(abandoned_service_calls as integer) as abandoned_service_calls,
        {{ safe_divide('abandoned_service_calls', 'inbound_service_calls') }} as abandonment_rate,
        ---------- V10 average handle time
        cast(answered_handle_seconds as bigint) as answered_handle_seconds,
        {{ safe_divide('answered_handle_seconds', 'answered_service_calls', 'decimal(18,2)') }}
            as handle_seconds_mean,
        ---------- V7 cost per interaction
        cast(service_interactions as integer) as service_interactions,
        {{ safe_divide('service_handle_seconds', '3600', 'decimal(18,2)') }} as service_handle_hours,
        {{ safe_divide('service_handle_seconds * ' ~ var('service_hourly_cost'), '3600', 'decimal(18,2)') }}
            as service_interaction_cost,
        {{ safe_divide(
            'service_handle_seconds * ' ~ var('service_hourly_cost'), '3600 * service_interactions', 'decimal(18,2)'
        ) }} as cost_per_interaction,
        ---------- V6 repeat contacts
        cast(customer_contacts as integer) as customer_contacts,
        cast(customers_contacting as integer) as customers_contacting,
        cast(repeat_contact_customers as integer) as repeat_contact_customers,
        {{ safe_divide('repeat_contact_customers', 'customers_contacting') }} as repeat_contact_rate
    from joined
)

select * from final
