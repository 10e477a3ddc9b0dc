{#- A1 sales calls per rep and month against target, connected vs unanswered
    with talk time, and A2 first-ever contacts with prospects: one row per rep
    and month of the spine in which the rep was employed at least one day, or
    logged a sales call or a new contact. Up to the as-of date. -#}
with rep_months as (
    select * from {{ ref('int_activity_rep_months') }}
),

reps as (
    select * from {{ ref('dim_reps') }}
),

sales_calls as (
    select * from {{ ref('int_activity_sales_calls_monthly') }}
),

new_contacts as (
    select * from {{ ref('int_activity_new_contacts_monthly') }}
),

call_targets as (
    select * from {{ ref('int_rep_call_targets_monthly') }}
),

joined as (
    select
        rep_months.month_start_date,
        rep_months.rep_id,
        reps.team_id,
        coalesce(reps.team_name, 'unknown') as team_name,
        reps.role,
        rep_months.days_employed,
        rep_months.weekdays_employed,
        call_targets.weekdays_in_month,
        {{ coalesce_if_present('activities', 'sales_calls.calls') }} as calls,
        {{ coalesce_if_present('activities', 'sales_calls.connected_calls') }} as connected_calls,
        {{ coalesce_if_present('activities', 'sales_calls.no_answer_calls') }} as no_answer_calls,
        {{ coalesce_if_present('activities', 'sales_calls.voicemail_calls') }} as voicemail_calls,
        {{ coalesce_if_present('activities', 'sales_calls.talk_seconds') }} as talk_seconds,
        {{ coalesce_if_present('activities', 'sales_calls.connected_talk_seconds') }} as connected_talk_seconds,
        call_targets.calls_target,
        {{ coalesce_if_present('activities', 'new_contacts.new_contacts') }} as new_contacts
    from rep_months
    left join reps
        on rep_months.rep_id = reps.rep_id
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
            as connected_talk_seconds_mean,
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
