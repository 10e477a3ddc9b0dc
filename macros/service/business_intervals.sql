{#- The joins of fct_case_business_times to int_service_business_intervals:
    the interval of a schedule that holds an instant, and the interval whose
    business-clock range holds a clock reading. A schedule's intervals do not
    overlap (one per local working day, each longer than zero: the model's
    constraints), so at most one interval holds either. On DuckDB an ASOF
    join finds it (the latest interval starting at or before the instant,
    the latest whose clock starts before the reading) by merging the sorted
    sides, where the range join hashes on the schedule alone and filters
    every pair of a point and an interval of its schedule: the model took
    2.2 s alone at scale 10 with the range joins, 0.9 s with ASOF, and the
    pairs grow with the calendar spine as well as with the cases. -#}

{#- left join `intervals` as `alias`: the interval of `schedule_id` whose
    [interval_start_at, next_interval_start_at) holds `instant` -#}
{% macro business_interval_at_instant(intervals, alias, schedule_id, instant) -%}
    {{ return(adapter.dispatch('business_interval_at_instant', 'crm_warehouse')(
        intervals, alias, schedule_id, instant)) }}
{%- endmacro %}

{% macro default__business_interval_at_instant(intervals, alias, schedule_id, instant) -%}
    left join {{ intervals }} as {{ alias }}
        on
            {{ schedule_id }} = {{ alias }}.schedule_id
            and {{ instant }} >= {{ alias }}.interval_start_at
            and ({{ instant }} < {{ alias }}.next_interval_start_at or {{ alias }}.next_interval_start_at is null)
{%- endmacro %}

{% macro duckdb__business_interval_at_instant(intervals, alias, schedule_id, instant) -%}
    asof left join {{ intervals }} as {{ alias }}
        on
            {{ schedule_id }} = {{ alias }}.schedule_id
            and {{ instant }} >= {{ alias }}.interval_start_at
{%- endmacro %}

{#- left join `intervals` as `alias`: the interval of `schedule_id` whose
    business-clock range (clock_start_seconds, clock_start_seconds +
    interval_seconds] holds `clock_seconds`. On DuckDB the join may also
    return the schedule's last interval for a reading beyond its end:
    business_instant_at_clock keeps the match only where the reading is
    within the range. -#}
{% macro business_interval_at_clock(intervals, alias, schedule_id, clock_seconds) -%}
    {{ return(adapter.dispatch('business_interval_at_clock', 'crm_warehouse')(
        intervals, alias, schedule_id, clock_seconds)) }}
{%- endmacro %}

{% macro default__business_interval_at_clock(intervals, alias, schedule_id, clock_seconds) -%}
    left join {{ intervals }} as {{ alias }}
        on
            {{ schedule_id }} = {{ alias }}.schedule_id
            and {{ clock_seconds }} > {{ alias }}.clock_start_seconds
            and {{ clock_seconds }} <= {{ alias }}.clock_start_seconds + {{ alias }}.interval_seconds
{%- endmacro %}

{% macro duckdb__business_interval_at_clock(intervals, alias, schedule_id, clock_seconds) -%}
    asof left join {{ intervals }} as {{ alias }}
        on
            {{ schedule_id }} = {{ alias }}.schedule_id
            and {{ clock_seconds }} > {{ alias }}.clock_start_seconds
{%- endmacro %}

{#- The instant a schedule's clock reaches `clock_seconds`, inside the
    interval `alias` that business_interval_at_clock joined: null when no
    interval holds the reading (on DuckDB the join's last interval may not). -#}
{% macro business_instant_at_clock(clock_seconds, alias) -%}
    case
        when {{ clock_seconds }} <= {{ alias }}.clock_start_seconds + {{ alias }}.interval_seconds
            then cast({{ dbt.dateadd(
                'second',
                clock_seconds ~ ' - ' ~ alias ~ '.clock_start_seconds',
                alias ~ '.interval_start_at'
            ) }} as timestamp)
    end
{%- endmacro %}
