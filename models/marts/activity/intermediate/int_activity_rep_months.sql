{#- The spine of the rep activity marts: one row per rep and month of the
    month spine in which the rep was employed at least one day, or logged a
    sales call or a new contact, with the days and weekdays the rep was
    employed that month (0 when none). -#}
with employed_days as (
    select * from {{ ref('int_rep_days_employed') }}
),

sales_calls as (
    select * from {{ ref('int_activity_sales_calls_monthly') }}
),

new_contacts as (
    select * from {{ ref('int_activity_new_contacts_monthly') }}
),

months as (
    select * from {{ ref('int_months') }}
),

employment as (
    select
        rep_id,
        month_start_date,
        count(*) as days_employed,
        cast(sum(case when is_weekday then 1 else 0 end) as bigint) as weekdays_employed
    from employed_days
    group by rep_id, month_start_date
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

final as (
    select
        rep_months.month_start_date,
        rep_months.rep_id,
        coalesce(employment.days_employed, 0) as days_employed,
        coalesce(employment.weekdays_employed, 0) as weekdays_employed
    from rep_months
    inner join months
        on rep_months.month_start_date = months.month_start_date
    left join employment
        on
            rep_months.rep_id = employment.rep_id
            and rep_months.month_start_date = employment.month_start_date
)

select * from final
