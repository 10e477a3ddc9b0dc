{#- Attribution identity: within each group (group_columns), the credits
    (credit_column) sum to the revenue of the deals credited, each deal's
    revenue (revenue_column, repeated on each of its rows) counted once
    (deal_column). Grouped by deal and model: every deal's credits sum to its
    revenue; grouped by model: the model's credits sum to the revenue of the
    deals it credits. Null revenue on both sides compares as 0; failing
    groups are returned. -#}
{% test credits_sum_to_revenue(model, group_columns, deal_column, credit_column, revenue_column) %}

with credits as (
    select
        {{ group_columns | join(', ') }},
        coalesce(sum({{ credit_column }}), 0) as credited_total
    from {{ model }}
    group by {{ group_columns | join(', ') }}
),

deals as (
    select distinct
        {{ group_columns | join(', ') }},
        {{ deal_column }} as credited_deal,
        {{ revenue_column }} as deal_revenue
    from {{ model }}
),

revenue as (
    select
        {{ group_columns | join(', ') }},
        coalesce(sum(deal_revenue), 0) as revenue_total
    from deals
    group by {{ group_columns | join(', ') }}
)

select
    credits.*,
    revenue.revenue_total
from credits
inner join revenue
    on {% for column in group_columns %}credits.{{ column }} = revenue.{{ column }}{% if not loop.last %} and {% endif %}{% endfor %}
where credits.credited_total != revenue.revenue_total

{% endtest %}
