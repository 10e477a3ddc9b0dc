with opportunities as (
    select * from {{ ref('int_opportunities_converted') }}
),

reps as (
    select * from {{ ref('stg_crm__reps') }}
),

products as (
    select * from {{ ref('int_products_converted') }}
),

lead_submissions as (
    select * from {{ ref('int_lead_submissions_attributed') }}
),

accounts as (
    select * from {{ ref('int_accounts_first_leads_and_wins') }}
),

stage_intervals as (
    select * from {{ ref('int_opportunity_stage_intervals') }}
),

stage_history as (
    select
        opportunity_id,
        count(*) as stage_change_count,
        max(case when is_reopening then 1 else 0 end) as has_reopening,
        max(case when is_closed then entered_at end) as last_closed_entered_at
    from stage_intervals
    group by opportunity_id
),

joined as (
    select
        opportunities.*,
        reps.team_id,
        accounts.region as account_region,
        products.product_family,
        coalesce(lead_submissions.resolved_lead_id, opportunities.lead_id) as resolved_lead_id,
        lead_submissions.lead_source,
        lead_submissions.channel_group,
        lead_submissions.lead_created_at,
        accounts.first_won_at as account_first_won_at,
        accounts.first_lead_created_at as account_first_lead_created_at,
        stage_history.stage_change_count,
        stage_history.has_reopening,
        -- a closed deal without closed_at takes its latest entry into a closed stage;
        -- a deal in an unmapped stage keeps the export's closed_at (outcome unknown)
        case
            when opportunities.is_closed
                then coalesce(opportunities.closed_at, stage_history.last_closed_entered_at)
            when opportunities.is_closed is null then opportunities.closed_at
        end as latest_closed_at
    from opportunities
    left join reps
        on opportunities.owner_rep_id = reps.rep_id
    left join accounts
        on opportunities.account_id = accounts.account_id
    left join products
        on opportunities.product_id = products.product_id
    left join lead_submissions
        on opportunities.lead_id = lead_submissions.lead_id
    left join stage_history
        on opportunities.opportunity_id = stage_history.opportunity_id
),

derived as (
    select
        *,
        cast(created_at as date) as created_date,
        cast(latest_closed_at as date) as latest_closed_date,
        case
            when
                account_first_lead_created_at <= created_at
                and (lead_created_at is null or account_first_lead_created_at < lead_created_at)
                then account_first_lead_created_at
            else lead_created_at
        end as first_lead_created_at,
        coalesce(account_first_won_at < created_at, false) as is_existing_customer
    from joined
),

final as (
    select
        opportunity_id,
        opportunity_name,
        account_id,
        owner_rep_id,
        team_id,
        partner_id,
        campaign_id,
        resolved_lead_id as lead_id,
        product_id,
        coalesce(product_family, 'unknown') as product_family,
        coalesce(account_region, 'unknown') as region,
        coalesce(lead_source, 'unknown') as lead_source,
        coalesce(channel_group, 'unknown') as channel_group,
        case when is_existing_customer then 'existing' else 'new' end as customer_type,
        is_existing_customer,
        opportunity_type,
        stage_name,
        stage_order,
        stage_probability,
        coalesce(is_closed, false) as is_closed,
        coalesce(is_won, false) as is_won,
        coalesce(is_closed and not is_won, false) as is_lost,
        -- an unmapped stage (is_closed null) is open unless the export gives it a close
        coalesce(not is_closed, latest_closed_at is null) as is_open,
        amount,
        amount_local,
        currency_code,
        exchange_rate,
        created_at,
        created_date,
        cast({{ dbt.date_trunc('month', 'created_at') }} as date) as created_month_start_date,
        expected_close_date,
        latest_closed_at as closed_at,
        latest_closed_date as closed_date,
        cast({{ dbt.date_trunc('month', 'latest_closed_at') }} as date) as closed_month_start_date,
        cast(
            {{ dbt.datediff('created_date', 'latest_closed_date', 'day') }}
            as integer
        ) as sales_cycle_days,
        first_lead_created_at,
        cast(
            {{ dbt.datediff('cast(first_lead_created_at as date)', 'latest_closed_date', 'day') }}
            as integer
        ) as lead_to_close_days,
        case when is_won then win_reason end as win_reason,
        case when is_closed and not is_won then loss_reason end as loss_reason,
        coalesce(has_reopening = 1, false) as was_reopened,
        cast(coalesce(stage_change_count, 0) as integer) as stage_change_count
    from derived
)

select * from final
