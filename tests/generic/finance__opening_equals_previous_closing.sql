{#- Movement tables (opening + movements = closing per period): each row's
    opening equals the closing of the same member's previous period. Rows
    whose period or previous period has a positive skip_column (e.g. accounts
    left out because their value is unknown) and each member's first period
    are not checked. Returns the rows that break the chain. -#}
{% test finance__opening_equals_previous_closing(
    model, period_column, opening_column, closing_column, partition_columns, skip_column=none
) %}

with chained as (
    select
        {{ partition_columns | join(', ') }},
        {{ period_column }},
        {{ opening_column }} as opening_value,
        lag({{ closing_column }}) over (
            partition by {{ partition_columns | join(', ') }} order by {{ period_column }}
        ) as previous_closing_value
        {%- if skip_column %},
        {{ skip_column }} as skip_value,
        lag({{ skip_column }}) over (
            partition by {{ partition_columns | join(', ') }} order by {{ period_column }}
        ) as previous_skip_value
        {%- endif %}
    from {{ model }}
)

select *
from chained
where
    previous_closing_value is not null
    and opening_value != previous_closing_value
    {%- if skip_column %}
    and coalesce(skip_value, 0) = 0
    and coalesce(previous_skip_value, 0) = 0
    {%- endif %}

{% endtest %}
