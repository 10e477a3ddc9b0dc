{#- Aging bucket of an open receivable from its days past due (F2):
    current (not yet due, days_past_due <= 0), 1-30, 31-60, 61-90, over_90. -#}
{% macro finance__aging_bucket(days_past_due) -%}
    case
        when {{ days_past_due }} is null then null
        when {{ days_past_due }} <= 0 then 'current'
        when {{ days_past_due }} <= 30 then '1-30'
        when {{ days_past_due }} <= 60 then '31-60'
        when {{ days_past_due }} <= 90 then '61-90'
        else 'over_90'
    end
{%- endmacro %}
