{#- Long-format KPI tables: within every dimension, the members add up to the
    'all' row of the same period, for each listed additive column. Returns the
    (period, dimension) pairs that do not. -#}
{% test sales__members_sum_to_total(model, period_columns, columns, dimension_column='dimension_name') %}

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
    coalesce(members.{{ column }}, 0) != coalesce(totals.{{ column }}, 0){% if not loop.last %} or{% endif %}
    {% endfor %}

{% endtest %}
