{#- The calls target of each rep and month (A1): the sum of the month's
    rep-level calls targets, with the month's weekdays to spread it over.
    The one definition of a rep's monthly calls target, for the daily and the
    monthly activity marts. -#}
with targets as (
    select * from {{ ref('stg_crm__targets') }}
),

month_weekdays as (
    select * from {{ ref('int_month_weekdays_counted') }}
),

call_targets as (
    select
        rep_id,
        target_month as month_start_date,
        cast(sum(target_value) as decimal(18, 2)) as calls_target
    from targets
    where
        target_level = 'rep'
        and metric = 'calls'
    group by rep_id, target_month
),

final as (
    select
        call_targets.rep_id,
        call_targets.month_start_date,
        call_targets.calls_target,
        month_weekdays.weekdays_in_month
    from call_targets
    left join month_weekdays
        on call_targets.month_start_date = month_weekdays.month_start_date
)

select * from final
