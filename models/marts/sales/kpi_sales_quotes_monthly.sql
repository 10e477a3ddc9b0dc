{#- Quotes (S16) per month the quotes were sent and dimension member of their
    opportunity: quotes sent, accepted and ordered, and quote-to-order
    conversion = accepted / sent. A quote without a known opportunity counts in
    'all' only. -#}
with quotes as (
    select * from {{ ref('fct_quotes') }}
),

opportunity_dimensions as (
    select * from {{ ref('int_sales_opportunity_dimensions_unpivoted') }}
),

members as (
    select * from {{ ref('int_sales_dimension_members') }}
),

months as (
    select * from {{ ref('int_months') }}
),

sent_quotes as (
    select
        quote_id,
        opportunity_id,
        cast({{ dbt.date_trunc('month', 'sent_date') }} as date) as month_start_date,
        amount,
        is_accepted,
        has_order
    from quotes
    where is_sent
),

quotes_by_member as (
    select
        sent_quotes.*,
        'all' as dimension_name,
        'all' as dimension_value
    from sent_quotes
    union all
    select
        sent_quotes.*,
        opportunity_dimensions.dimension_name,
        opportunity_dimensions.dimension_value
    from sent_quotes
    inner join opportunity_dimensions
        on sent_quotes.opportunity_id = opportunity_dimensions.opportunity_id
    where opportunity_dimensions.dimension_name != 'all'
),

by_month as (
    select
        month_start_date,
        dimension_name,
        dimension_value,
        count(*) as quotes_sent,
        count(case when amount is null then 1 end) as quotes_sent_without_amount,
        sum(amount) as quotes_sent_amount,
        count(case when is_accepted then 1 end) as quotes_accepted,
        sum(case when is_accepted then amount end) as quotes_accepted_amount,
        count(case when has_order then 1 end) as quotes_ordered
    from quotes_by_member
    group by month_start_date, dimension_name, dimension_value
),

spine as (
    select
        months.month_start_date,
        members.dimension_name,
        members.dimension_value,
        members.dimension_label
    from months
    cross join members
),

joined as (
    select
        spine.month_start_date,
        spine.dimension_name,
        spine.dimension_value,
        spine.dimension_label,
        {{ coalesce_if_present('quotes', 'by_month.quotes_sent') }} as quotes_sent,
        -- amounts: doc block unknown_amounts (0 without quotes, null when none is known)
        {{ amount_total(
            'by_month.quotes_sent_amount', 'by_month.quotes_sent', entities='quotes'
        ) }} as quotes_sent_amount,
        {{ coalesce_if_present(
            'quotes', 'by_month.quotes_sent_without_amount'
        ) }} as quotes_sent_without_amount,
        {{ coalesce_if_present('quotes', 'by_month.quotes_accepted') }} as quotes_accepted,
        {{ amount_total(
            'by_month.quotes_accepted_amount', 'by_month.quotes_accepted', entities='quotes'
        ) }}
            as quotes_accepted_amount,
        {{ coalesce_if_present('quotes', 'by_month.quotes_ordered') }} as quotes_ordered
    from spine
    left join by_month
        on
            spine.month_start_date = by_month.month_start_date
            and spine.dimension_name = by_month.dimension_name
            and spine.dimension_value = by_month.dimension_value
),

final as (
    select
        *,
        {{ safe_divide('quotes_accepted', 'quotes_sent') }} as quote_acceptance_rate,
        {{ safe_divide('quotes_ordered', 'quotes_sent') }} as quote_ordered_rate
    from joined
)

select * from final
