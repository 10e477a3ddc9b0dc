{#- A2 new contacts compared across teams (and A1 calls beside them): one row
    per month of the spine and team (the rep's current team in dim_reps;
    'unknown' for reps without one), zeros for months without activity. Per
    rep figures divide by the team's reps employed in the month; the index
    compares them with all teams together (1 = the company average). -#}
with rep_months as (
    select * from {{ ref('kpi_activity_rep_monthly') }}
),

reps as (
    select * from {{ ref('dim_reps') }}
),

months as (
    select * from {{ ref('int_months') }}
),

teams as (
    select distinct
        coalesce(team_id, 'unknown') as team_id,
        coalesce(team_name, 'unknown') as team_name
    from reps

    union

    select
        'unknown' as team_id,
        'unknown' as team_name
),

team_months as (
    select
        month_start_date,
        coalesce(team_id, 'unknown') as team_id,
        sum(case when days_employed > 0 then 1 else 0 end) as reps_employed,
        sum(new_contacts) as new_contacts,
        sum(case when new_contacts > 0 then 1 else 0 end) as reps_with_new_contacts,
        sum(calls) as calls
    from rep_months
    group by 1, 2
),

joined as (
    select
        months.month_start_date,
        teams.team_id,
        teams.team_name,
        coalesce(team_months.reps_employed, 0) as reps_employed,
        {{ coalesce_if_present('activities', 'team_months.new_contacts') }} as new_contacts,
        {{ coalesce_if_present('activities', 'team_months.reps_with_new_contacts') }} as reps_with_new_contacts,
        {{ coalesce_if_present('activities', 'team_months.calls') }} as calls
    from months
    cross join teams
    left join team_months
        on
            months.month_start_date = team_months.month_start_date
            and teams.team_id = team_months.team_id
),

with_company as (
    select
        *,
        sum(new_contacts) over (partition by month_start_date) as company_new_contacts,
        sum(reps_employed) over (partition by month_start_date) as company_reps_employed
    from joined
),

rated as (
    select
        *,
        cast(new_contacts as decimal(18, 6)) / nullif(reps_employed, 0) as new_contacts_per_rep_exact,
        cast(company_new_contacts as decimal(18, 6)) / nullif(company_reps_employed, 0)
            as company_new_contacts_per_rep_exact
    from with_company
),

final as (
    select
        month_start_date,
        team_id,
        team_name,
        cast(reps_employed as integer) as reps_employed,
        cast(new_contacts as integer) as new_contacts,
        cast(reps_with_new_contacts as integer) as reps_with_new_contacts,
        {{ safe_divide('new_contacts', 'reps_employed', 'decimal(18,2)') }} as new_contacts_per_rep,
        {{ safe_divide('company_new_contacts', 'company_reps_employed', 'decimal(18,2)') }}
            as company_new_contacts_per_rep,
        {{ safe_divide('new_contacts_per_rep_exact', 'company_new_contacts_per_rep_exact') }}
            as new_contacts_per_rep_index,
        cast(calls as integer) as calls,
        {{ safe_divide('calls', 'reps_employed', 'decimal(18,2)') }} as calls_per_rep
    from rated
)

select * from final
