{#- M6 new customers and those whose first lead was a referral; one row per month. -#}
with months as (
    select * from {{ ref('int_months') }}
),

accounts_acquired as (
    select * from {{ ref('int_accounts_acquired') }}
),

customer_counts as (
    select
        first_won_month_start_date as month_start_date,
        count(*) as new_customers,
        sum(case when first_lead_id is not null then 1 else 0 end) as new_customers_with_lead,
        sum(case when is_referral_customer then 1 else 0 end) as referral_customers
    from accounts_acquired
    group by first_won_month_start_date
),

final as (
    select
        months.month_start_date,
        cast({{ coalesce_if_present('opportunities', 'customer_counts.new_customers') }} as integer) as new_customers,
        cast(
            {{ coalesce_if_present(['leads', 'opportunities'], 'customer_counts.new_customers_with_lead') }} as integer
        ) as new_customers_with_lead,
        cast({{ coalesce_if_present(['leads', 'opportunities'], 'customer_counts.referral_customers') }} as integer)
            as referral_customers,
        {{ safe_divide('customer_counts.referral_customers', 'customer_counts.new_customers') }}
            as referral_customer_share
    from months
    left join customer_counts
        on months.month_start_date = customer_counts.month_start_date
)

select * from final
