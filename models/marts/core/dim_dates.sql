{#- The calendar: one row per day of int_calendar_days with the calendar,
    ISO-week, fiscal and (var retail_calendar: '445') 4-4-5 retail attributes.
    Fiscal year: starts on the first day of the month `fiscal_year_start_month`
    (1-12) and is named by the calendar year it ends in (start month 4: FY2022
    = 2021-04-01 to 2022-03-31). Retail year: 52 or 53 Monday-to-Sunday weeks;
    it starts on the Monday nearest the first day of its fiscal year (at most 3
    days either side), so with start month 1 the retail year is the ISO year.
    Quarters of 13 weeks, each 4 + 4 + 5 weeks; a 53rd week goes into the last
    period (period 12 then has 6 weeks). -#}
{%- set start_month = var('fiscal_year_start_month', 1) | int -%}
{%- if start_month < 1 or start_month > 12 -%}
    {{ exceptions.raise_compiler_error("var fiscal_year_start_month must be 1-12, got " ~ start_month) }}
{%- endif -%}
{%- set retail = var('retail_calendar', none) -%}
{%- if retail not in [none, 'none', '445', 445] -%}
    {{ exceptions.raise_compiler_error("var retail_calendar must be '445' or none, got " ~ retail) }}
{%- endif -%}
{%- set retail_on = 'true' if retail in ['445', 445] else 'false' -%}
with days as (
    select * from {{ ref('int_calendar_days') }}
),

calendar as (
    select
        date_day,
        is_after_as_of_date,
        cast({{ dbt.date_trunc('week', 'date_day') }} as date) as week_start_date,
        cast({{ dbt.date_trunc('month', 'date_day') }} as date) as month_start_date,
        cast(extract(year from date_day) as integer) as year_number,
        cast(extract(month from date_day) as integer) as month_of_year
    from days
),

fiscal as (
    select
        *,
        cast({{ dbt.dateadd('day', 3, 'week_start_date') }} as date) as iso_thursday_date,
        case
            when month_of_year >= {{ start_month }} then month_of_year - {{ start_month }} + 1
            else month_of_year - {{ start_month }} + 13
        end as fiscal_month,
        case
            when {{ start_month }} > 1 and month_of_year >= {{ start_month }} then year_number + 1
            else year_number
        end as fiscal_year
    from calendar
),

fiscal_starts as (
    select
        *,
        case
            when fiscal_month <= 3 then 1
            when fiscal_month <= 6 then 2
            when fiscal_month <= 9 then 3
            else 4
        end as fiscal_quarter,
        cast({{ dbt.date_trunc('year', 'iso_thursday_date') }} as date) as iso_thursday_year_start_date,
        cast({{ dbt.dateadd('month', '1 - fiscal_month', 'month_start_date') }} as date) as fiscal_year_start_date
    from fiscal
),


retail_years as (
    select
        *,
        {{ dbt.datediff('iso_thursday_year_start_date', 'iso_thursday_date', 'day') }}
            as iso_thursday_day_index,
        {{ nearest_monday('fiscal_year_start_date') }} as this_retail_start_date,
        {{ nearest_monday(dbt.dateadd('month', 12, 'fiscal_year_start_date')) }} as next_retail_start_date,
        {{ nearest_monday(dbt.dateadd('month', -12, 'fiscal_year_start_date')) }} as previous_retail_start_date
    from fiscal_starts
),

retail_weeks as (
    select
        *,
        case
            when date_day >= next_retail_start_date then fiscal_year + 1
            when date_day >= this_retail_start_date then fiscal_year
            else fiscal_year - 1
        end as retail_year,
        case
            when date_day >= next_retail_start_date then next_retail_start_date
            when date_day >= this_retail_start_date then this_retail_start_date
            else previous_retail_start_date
        end as retail_year_start_date
    from retail_years
),

retail_numbered as (
    select
        *,
        {{ dbt.datediff('retail_year_start_date', 'week_start_date', 'day') }}
            as retail_year_day_index
    from retail_weeks
),

retail_weeks_numbered as (
    select
        *,
        cast(floor(retail_year_day_index / 7.0) as integer) + 1 as retail_week
    from retail_numbered
),

retail_quarters as (
    select
        *,
        case
            when retail_week <= 13 then 1
            when retail_week <= 26 then 2
            when retail_week <= 39 then 3
            else 4
        end as retail_quarter
    from retail_weeks_numbered
),

retail_periods as (
    select
        *,
        case
            when retail_week - 13 * (retail_quarter - 1) <= 4 then 1
            when retail_week - 13 * (retail_quarter - 1) <= 8 then 2
            else 3
        end as retail_period_of_quarter
    from retail_quarters
),

retail as (
    select
        *,
        13 * (retail_quarter - 1)
        + case retail_period_of_quarter when 1 then 0 when 2 then 4 else 8 end
        + 1 as retail_period_start_week
    from retail_periods
),

final as (
    select
        date_day,
        week_start_date,
        month_start_date,
        cast({{ dbt.last_day('date_day', 'month') }} as date) as month_end_date,
        cast({{ dbt.date_trunc('quarter', 'date_day') }} as date) as quarter_start_date,
        cast({{ dbt.date_trunc('year', 'date_day') }} as date) as year_start_date,
        year_number,
        cast(extract(quarter from date_day) as integer) as quarter_number,
        month_of_year,
        cast(extract(day from date_day) as integer) as day_of_month,
        cast(
            {{ dbt.datediff('week_start_date', 'date_day', 'day') }}
            + 1 as integer
        ) as day_of_week_number,
        {{ dbt.datediff('week_start_date', 'date_day', 'day') }}
        < 5 as is_weekday,
        cast(extract(year from iso_thursday_date) as integer) as iso_year,
        cast(floor(iso_thursday_day_index / 7.0) as integer) + 1 as iso_week,
        week_start_date as iso_week_start_date,
        cast(fiscal_month as integer) as fiscal_month,
        cast(fiscal_quarter as integer) as fiscal_quarter,
        cast(fiscal_year as integer) as fiscal_year,
        cast(
            {{ dbt.dateadd('month', '3 * (fiscal_quarter - 1)', 'fiscal_year_start_date') }} as date
        ) as fiscal_quarter_start_date,
        fiscal_year_start_date,
        -- the retail calendar: null unless the var retail_calendar is '445'
        cast(case when {{ retail_on }} then retail_week end as integer) as retail_week,
        cast(
            case when {{ retail_on }} then 3 * (retail_quarter - 1) + retail_period_of_quarter end as integer
        ) as retail_period,
        cast(case when {{ retail_on }} then retail_quarter end as integer) as retail_quarter,
        cast(case when {{ retail_on }} then retail_year end as integer) as retail_year,
        cast(
            case
                when {{ retail_on }}
                    then {{ dbt.dateadd('day', '7 * (retail_period_start_week - 1)', 'retail_year_start_date') }}
            end as date
        ) as retail_period_start_date,
        cast(
            case
                when {{ retail_on }}
                    then {{ dbt.dateadd('day', '91 * (retail_quarter - 1)', 'retail_year_start_date') }}
            end as date
        ) as retail_quarter_start_date,
        cast(case when {{ retail_on }} then retail_year_start_date end as date) as retail_year_start_date,
        is_after_as_of_date
    from retail
)

select * from final
