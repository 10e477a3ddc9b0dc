with reps as (
    select * from {{ ref('stg_crm__reps') }}
),

teams as (
    select * from {{ ref('stg_crm__teams') }}
),

as_of as (
    select * from {{ ref('int_as_of_date') }}
),

regions as (
    select * from {{ ref('stg_reference__regions') }}
),

-- a rep without a manager of its own reports to the team's manager (not to itself)
team_managers as (
    select
        reps.rep_id,
        teams.manager_rep_id
    from reps
    inner join teams
        on reps.team_id = teams.team_id
    where teams.manager_rep_id != reps.rep_id
),

final as (
    select
        reps.rep_id,
        reps.rep_name,
        reps.role,
        reps.team_id,
        coalesce(teams.team_name, 'unknown') as team_name,
        teams.department,
        {{ standard_region('teams.region', 'regions') }} as team_region,
        coalesce(reps.manager_rep_id, team_managers.manager_rep_id) as manager_rep_id,
        managers.rep_name as manager_rep_name,
        reps.hired_date,
        reps.left_date,
        reps.hired_date <= as_of.as_of_date
        and (reps.left_date is null or reps.left_date >= as_of.as_of_date) as is_active
    from reps
    cross join as_of
    left join teams
        on reps.team_id = teams.team_id
    left join regions
        on {{ map_through_seed('teams.region') }} = regions.raw_region
    left join team_managers
        on reps.rep_id = team_managers.rep_id
    left join reps as managers
        on coalesce(reps.manager_rep_id, team_managers.manager_rep_id) = managers.rep_id
)

select * from final
