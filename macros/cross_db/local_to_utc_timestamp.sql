{#- A wall-clock timestamp (no time zone) read in the time zone named by
    `time_zone_expr` (an IANA name such as 'Europe/Berlin', a column or a
    literal), returned as the UTC timestamp of that instant (no time zone).
    Daylight saving time is the zone's own: 09:00 in New York is 14:00 UTC in
    winter and 13:00 UTC in summer. -#}
{% macro local_to_utc_timestamp(expr, time_zone_expr) -%}
    {{ return(adapter.dispatch('local_to_utc_timestamp', 'crm_warehouse')(expr, time_zone_expr)) }}
{%- endmacro %}

{#- PostgreSQL: a timestamp at a time zone is a timestamptz; at 'UTC' back to UTC wall-clock. -#}
{% macro default__local_to_utc_timestamp(expr, time_zone_expr) -%}
    cast((({{ expr }}) at time zone {{ time_zone_expr }}) at time zone 'UTC' as timestamp)
{%- endmacro %}

{#- DuckDB (ICU): timezone(zone, timestamp) reads the wall clock in the zone. -#}
{% macro duckdb__local_to_utc_timestamp(expr, time_zone_expr) -%}
    cast(timezone('UTC', timezone({{ time_zone_expr }}, {{ expr }})) as timestamp)
{%- endmacro %}

{% macro spark__local_to_utc_timestamp(expr, time_zone_expr) -%}
    to_utc_timestamp({{ expr }}, {{ time_zone_expr }})
{%- endmacro %}
