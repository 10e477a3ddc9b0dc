{#- sum(column_name) of the model equals sum(compare_column) of compare_model,
    within `tolerance` (default 0: exact for decimals). `compare_where`
    filters compare_model (config `where` filters the model). -#}
{% test equal_sum(model, column_name, compare_model, compare_column=none, tolerance=0, compare_where=none) %}

with model_sum as (
    select coalesce(sum({{ column_name }}), 0) as total from {{ model }}
),

compare_sum as (
    select coalesce(sum({{ compare_column or column_name }}), 0) as total from {{ compare_model }}
    {% if compare_where %}where {{ compare_where }}{% endif %}
)

select
    model_sum.total as model_total,
    compare_sum.total as compare_total
from model_sum
cross join compare_sum
where abs(model_sum.total - compare_sum.total) > {{ tolerance }}

{% endtest %}
