{#- A1 sales calls per rep and month against target, connected vs unanswered
    with talk time, and A2 first-ever contacts with prospects: one row per rep
    and month of the spine in which the rep was employed at least one day, or
    logged a sales call or a new contact. Up to the as-of date. -#}
with activities as (
    select * from {{ ref('fct_activities') }}
),

reps as (
    select * from {{ ref('dim_reps') }}
),

targets as (
    select * from {{ ref('int_targets_mapped') }}
),

employed_days as (
    select * from {{ ref('int_rep_days_employed') }}
),

first_contacts as (
    select * from {{ ref('int_accounts_first_contacted') }}
),

months as (
    select * from {{ ref('int_months') }}
),

month_weekdays as (
    select * from {{ ref('int_month_weekdays_counted') }}
),

as_of as (
    select * from {{ ref('int_as_of_date') }}
),

employment as (
    select
        rep_id,
        month_start_date,
        count(*) as days_employed,
        sum(case when is_weekday then 1 else 0 end) as weekdays_employed
    from employed_days
    group by rep_id, month_start_date
),

sales_calls as (
    select
        activities.rep_id,
        cast({{ dbt.date_trunc('month', 'activities.activity_date') }} as date) as month_start_date,
        count(*) as calls,
        sum(case when activities.is_connected then 1 else 0 end) as connected_calls,
        sum(case when activities.outcome = 'no_answer' then 1 else 0 end) as no_answer_calls,
        sum(case when activities.outcome = 'voicemail' then 1 else 0 end) as voicemail_calls,
        sum(coalesce(activities.talk_seconds, 0)) as talk_seconds,
        sum(case when activities.is_connected then coalesce(activities.talk_seconds, 0) else 0 end)
            as connected_talk_seconds
    from activities
    cross join as_of
    where
        activities.is_sales_call
        and activities.rep_id is not null
        and activities.activity_date <= as_of.as_of_date
    group by activities.rep_id, {{ dbt.date_trunc('month', 'activities.activity_date') }}
),

new_contacts as (
    select
        first_contacts.first_activity_rep_id as rep_id,
        first_contacts.first_activity_month_start_date as month_start_date,
        count(*) as new_contacts
    from first_contacts
    cross join as_of
    where
        first_contacts.is_prospect_at_first_activity
        and first_contacts.first_activity_rep_id is not null
        and first_contacts.first_activity_date <= as_of.as_of_date
    group by first_contacts.first_activity_rep_id, first_contacts.first_activity_month_start_date
),

call_targets as (
    select
        rep_id,
        target_month as month_start_date,
        sum(target_value) as calls_target
    from targets
    where
        target_level = 'rep'
        and metric = 'calls'
    group by rep_id, target_month
),

rep_months as (
    select
        rep_id,
        month_start_date
    from employment
    union
    select
        rep_id,
        month_start_date
    from sales_calls
    union
    select
        rep_id,
        month_start_date
    from new_contacts
),

joined as (
    select
        rep_months.month_start_date,
        rep_months.rep_id,
        reps.team_id,
        coalesce(reps.team_name, 'unknown') as team_name,
        reps.role,
        coalesce(employment.days_employed, 0) as days_employed,
        coalesce(employment.weekdays_employed, 0) as weekdays_employed,
        month_weekdays.weekdays_in_month,
        {{ coalesce_if_present('activities', 'sales_calls.calls') }} as calls,
        {{ coalesce_if_present('activities', 'sales_calls.connected_calls') }} as connected_calls,
        {{ coalesce_if_present('activities', 'sales_calls.no_answer_calls') }} as no_answer_calls,
        {{ coalesce_if_present('activities', 'sales_calls.voicemail_calls') }} as voicemail_calls,
        {{ coalesce_if_present('activities', 'sales_calls.talk_seconds') }} as talk_seconds,
        {{ coalesce_if_present('activities', 'sales_calls.connected_talk_seconds') }} as connected_talk_seconds,
        call_targets.calls_target,
        {{ coalesce_if_present('activities', 'new_contacts.new_contacts') }} as new_contacts
    from rep_months
    inner join months
        on rep_months.month_start_date = months.month_start_date
    left join reps
        on rep_months.rep_id = reps.rep_id
    left join employment
        on
            rep_months.rep_id = employment.rep_id
            and rep_months.month_start_date = employment.month_start_date
    left join month_weekdays
        on rep_months.month_start_date = month_weekdays.month_start_date
    left join sales_calls
        on
            rep_months.rep_id = sales_calls.rep_id
            and rep_months.month_start_date = sales_calls.month_start_date
    left join new_contacts
        on
            rep_months.rep_id = new_contacts.rep_id
            and rep_months.month_start_date = new_contacts.month_start_date
    left join call_targets
        on
            rep_months.rep_id = call_targets.rep_id
            and rep_months.month_start_date = call_targets.month_start_date
),

prorated as (
    select
        *,
        cast(calls_target as decimal(18, 6)) * weekdays_employed / nullif(weekdays_in_month, 0)
            as calls_target_prorated_exact
    from joined
),

final as (
    select
        month_start_date,
        rep_id,
        team_id,
        team_name,
        role,
        cast(days_employed as integer) as days_employed,
        cast(weekdays_employed as integer) as weekdays_employed,
        ---------- A1 calls
        cast(calls as integer) as calls,
        {{ safe_divide('calls', 'weekdays_employed', 'decimal(18,2)') }} as calls_per_weekday,
        cast(connected_calls as integer) as connected_calls,
        cast(no_answer_calls + voicemail_calls as integer) as unanswered_calls,
        cast(no_answer_calls as integer) as no_answer_calls,
        cast(voicemail_calls as integer) as voicemail_calls,
        {{ safe_divide('connected_calls', 'calls') }} as connect_rate,
        cast(talk_seconds as bigint) as talk_seconds,
        {{ safe_divide('connected_talk_seconds', 'connected_calls', 'decimal(18,2)') }}
            as average_connected_talk_seconds,
        cast(calls_target as decimal(18, 2)) as calls_target,
        {{ safe_divide('calls', 'calls_target') }} as calls_target_attainment,
        {{ safe_divide('calls_target * weekdays_employed', 'weekdays_in_month', 'decimal(18,2)') }}
            as calls_target_prorated,
        {{ safe_divide('calls', 'calls_target_prorated_exact') }} as prorated_calls_target_attainment,
        ---------- A2 new contacts
        cast(new_contacts as integer) as new_contacts
    from prorated
)

select * from final
