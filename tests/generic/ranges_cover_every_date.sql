{#- The validity ranges [from_column, to_column) of each partition run without
    gap or overlap from first_from to last_to: ordered by their start, the
    first starts at first_from, each starts where the one before it ended,
    the last ends at last_to, and none is empty. Returns the ranges that
    break it. join_exchange_rate's ASOF join on DuckDB relies on it. -#}
{% test ranges_cover_every_date(model, partition_by, from_column, to_column, first_from, last_to) %}

with ordered as (
    select
        {{ partition_by }} as partition_value,
        {{ from_column }} as range_from,
        {{ to_column }} as range_to,
        lag({{ to_column }}) over (
            partition by {{ partition_by }} order by {{ from_column }}
        ) as previous_range_to,
        row_number() over (
            partition by {{ partition_by }} order by {{ from_column }}
        ) as range_number,
        count(*) over (partition by {{ partition_by }}) as partition_ranges
    from {{ model }}
)

select *
from ordered
where
    range_to <= range_from
    or (range_number = 1 and range_from != cast('{{ first_from }}' as date))
    or (range_number > 1 and range_from != previous_range_to)
    or (range_number = partition_ranges and range_to != cast('{{ last_to }}' as date))

{% endtest %}
