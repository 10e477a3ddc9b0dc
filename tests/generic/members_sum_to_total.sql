{#- Long-format KPI tables (dimension_name / dimension_value / dimension_label,
    in every area): within every dimension, the members add up to the 'all'
    row of the same period, for each listed additive column. period_columns
    are the columns the 'all' row shares with its members (the period, and a
    further grain column such as stage_name). comparison='at_most' where
    'all' also counts rows no member holds (documented in the model, e.g.
    a quote whose opportunity is unknown): the members then add up to no
    more than the total. Returns the (period, dimension) pairs that fail. -#}
{% test members_sum_to_total(model, period_columns, columns, dimension_column='dimension_name', comparison='equal') %}

{%- if comparison not in ('equal', 'at_most') -%}
    {{ exceptions.raise_compiler_error("members_sum_to_total: comparison must be 'equal' or 'at_most', not " ~ comparison) }}
{%- endif %}

with members as (
    select
        {% for key in period_columns %}{{ key }},{% endfor %}
        {{ dimension_column }},
        {% for column in columns %}sum({{ column }}) as {{ column }}{% if not loop.last %},{% endif %}{% endfor %}
    from {{ model }}
    where {{ dimension_column }} != 'all'
    group by {% for key in period_columns %}{{ key }}, {% endfor %}{{ dimension_column }}
),

totals as (
    select
        {% for key in period_columns %}{{ key }},{% endfor %}
        {% for column in columns %}sum({{ column }}) as {{ column }}{% if not loop.last %},{% endif %}{% endfor %}
    from {{ model }}
    where {{ dimension_column }} = 'all'
    group by {{ period_columns | join(', ') }}
)

select
    members.*
from members
left join totals
    on {% for key in period_columns %}members.{{ key }} = totals.{{ key }}{% if not loop.last %} and {% endif %}{% endfor %}
where
    {% for column in columns %}
    coalesce(members.{{ column }}, 0) {{ '!=' if comparison == 'equal' else '>' }} coalesce(totals.{{ column }}, 0){% if not loop.last %} or{% endif %}
    {% endfor %}

{% endtest %}
