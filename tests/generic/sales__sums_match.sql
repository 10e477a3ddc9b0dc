{#- For every key (join_columns), sum(column) over the rows of model equals
    sum(column) over the rows of compare_model, for each listed column: e.g.
    pipeline by stage adds up to the total pipeline. Keys present on one side
    only compare against 0. Failing keys are returned. -#}
{% test sales__sums_match(model, compare_model, join_columns, columns, compare_where=none) %}

with model_sums as (
    select
        {% for key in join_columns %}{{ key }},{% endfor %}
        {% for column in columns %}sum({{ column }}) as {{ column }}{% if not loop.last %},{% endif %}{% endfor %}
    from {{ model }}
    group by {{ join_columns | join(', ') }}
),

compare_sums as (
    select
        {% for key in join_columns %}{{ key }},{% endfor %}
        {% for column in columns %}sum({{ column }}) as {{ column }}{% if not loop.last %},{% endif %}{% endfor %}
    from {{ compare_model }}
    {% if compare_where %}where {{ compare_where }}{% endif %}
    group by {{ join_columns | join(', ') }}
)

select
    {% for key in join_columns %}coalesce(model_sums.{{ key }}, compare_sums.{{ key }}) as {{ key }},{% endfor %}
    {% for column in columns %}
    model_sums.{{ column }} as model_{{ column }},
    compare_sums.{{ column }} as compare_{{ column }}{% if not loop.last %},{% endif %}
    {% endfor %}
from model_sums
full outer join compare_sums
    on {% for key in join_columns %}model_sums.{{ key }} = compare_sums.{{ key }}{% if not loop.last %} and {% endif %}{% endfor %}
where
    {% for column in columns %}
    coalesce(model_sums.{{ column }}, 0) != coalesce(compare_sums.{{ column }}, 0){% if not loop.last %} or{% endif %}
    {% endfor %}

{% endtest %}
