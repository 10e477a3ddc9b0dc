{#- B1's holidays per business schedule and calendar year: for each schedule
    that times support cases (fct_case_business_times) and each year from its
    first case's opening to the last instant it measures for them (a first
    response, a resolution or a business due time), how many of its cases
    opened that year and how many holidays seeds/business_holidays.csv lists
    for it that year (its own and those of 'all'). A year with none counts
    every scheduled weekday as working time, holidays included: the test on
    this model names those years. Years are those of the UTC instants. -#}
with business_times as (
    select * from {{ ref('fct_case_business_times') }}
),

cases as (
    select * from {{ ref('fct_cases') }}
),

calendar_days as (
    select * from {{ ref('int_calendar_days') }}
),

holidays as (
    select * from {{ ref('business_holidays') }}
),

case_years as (
    select
        business_times.schedule_id,
        cast(extract(year from cases.opened_at) as integer) as opened_year,
        cast(extract(year from greatest(
            cases.opened_at,
            coalesce(cases.first_response_at, cases.opened_at),
            coalesce(cases.final_resolved_at, cases.opened_at),
            coalesce(business_times.business_first_response_due_at, cases.opened_at),
            coalesce(business_times.business_resolution_due_at, cases.opened_at)
        )) as integer) as last_measured_year
    from business_times
    inner join cases
        on business_times.case_id = cases.case_id
),

schedule_spans as (
    select
        schedule_id,
        min(opened_year) as first_year,
        max(last_measured_year) as last_year
    from case_years
    group by schedule_id
),

calendar_years as (
    select distinct cast(extract(year from date_day) as integer) as calendar_year
    from calendar_days
),

schedule_years as (
    select
        schedule_spans.schedule_id,
        calendar_years.calendar_year
    from schedule_spans
    inner join calendar_years
        on calendar_years.calendar_year between schedule_spans.first_year and schedule_spans.last_year
),

cases_opened as (
    select
        schedule_id,
        opened_year as calendar_year,
        count(*) as cases_opened
    from case_years
    group by schedule_id, opened_year
),

holidays_listed as (
    select
        schedule_years.schedule_id,
        schedule_years.calendar_year,
        count(*) as holidays_listed
    from schedule_years
    inner join holidays
        on
            holidays.schedule_id in ('all', schedule_years.schedule_id)
            and cast(extract(year from holidays.holiday_date) as integer) = schedule_years.calendar_year
    group by schedule_years.schedule_id, schedule_years.calendar_year
),

final as (
    select
        schedule_years.schedule_id || '|' || cast(schedule_years.calendar_year as {{ dbt.type_string() }})
            as schedule_year_key,
        schedule_years.schedule_id,
        schedule_years.calendar_year,
        cast(coalesce(cases_opened.cases_opened, 0) as bigint) as cases_opened,
        cast(coalesce(holidays_listed.holidays_listed, 0) as bigint) as holidays_listed,
        holidays_listed.holidays_listed is null as has_no_holidays_listed
    from schedule_years
    left join cases_opened
        on
            schedule_years.schedule_id = cases_opened.schedule_id
            and schedule_years.calendar_year = cases_opened.calendar_year
    left join holidays_listed
        on
            schedule_years.schedule_id = holidays_listed.schedule_id
            and schedule_years.calendar_year = holidays_listed.calendar_year
)

select * from final
